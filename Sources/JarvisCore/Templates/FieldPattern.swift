import CPCRE2
import Foundation

/// A field's `regex`: PCRE2 with the whole value anchored (`^(?:…)$`), case-sensitive, under the
/// same kind of match, depth and CPU limits as log search (ICU would backtrack without limit).
/// A value that runs into the limits counts as not matching.
struct FieldPattern {
    struct Invalid: Error, CustomStringConvertible { let description: String }

    static let maxPatternLength = 500
    static let maxValueBytes = 4096
    private let source: [UInt8]

    init(_ pattern: String) throws {
        guard pattern.count <= Self.maxPatternLength else { throw Invalid(description: "a pattern is at most \(Self.maxPatternLength) characters") }
        source = Array("(?C1)^(?:".utf8) + Array(pattern.utf8) + Array("\\E)$".utf8)
        try Self.withCode(source) { _ in }
    }

    func matches(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count <= Self.maxValueBytes else { return false }
        return (try? Self.withCode(source) { code -> Bool in
            guard let context = pcre2_match_context_create_8(nil), let data = pcre2_match_data_create_8(1, nil) else { return false }
            defer {
                pcre2_match_data_free_8(data)
                pcre2_match_context_free_8(context)
            }
            pcre2_set_match_limit_8(context, 100_000)
            pcre2_set_depth_limit_8(context, 10_000)
            return bytes.withUnsafeBufferPointer { buffer in
                jarvis_pcre2_match_budgeted(code, buffer.baseAddress, buffer.count, data, context, 5_000_000) >= 0
            }
        }) ?? false
    }

    private static func withCode<T>(_ source: [UInt8], _ body: (OpaquePointer) throws -> T) throws -> T {
        var error: Int32 = 0
        var offset = 0
        let code = source.withUnsafeBufferPointer { buffer in
            pcre2_compile_8(buffer.baseAddress, buffer.count, UInt32(PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C), &error, &offset, nil)
        }
        guard let code else {
            var message = [UInt8](repeating: 0, count: 256)
            let length = pcre2_get_error_message_8(error, &message, message.count)
            throw Invalid(description: "not a valid regular expression: " + String(decoding: message.prefix(Swift.max(0, Int(length))), as: UTF8.self))
        }
        defer { pcre2_code_free_8(code) }
        return try body(code)
    }
}

/// Generated values of `random` fields: drawn from the system's CSPRNG, once, at deploy.
enum TemplateSecrets {
    static func characters(_ alphabet: String) -> [Character] {
        switch alphabet {
        case "alnum": return Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        case "hex": return Array("0123456789abcdef")
        case "base64url": return Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        default:
            // Characters that would break a `.env` line or interpolation are never drawn.
            var seen = Set<Character>()
            return alphabet.filter { !"$\"'\\`#= \n\r\t".contains($0) && seen.insert($0).inserted }.map { $0 }
        }
    }

    static func generate(length: Int, alphabet: String) -> String {
        let pool = characters(alphabet)
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in pool[Int(generator.next(upperBound: UInt64(pool.count)))] })
    }
}
