import CPCRE2
import Foundation

/// Log search: a case-insensitive substring or regular expression, matched by
/// PCRE2 under hard limits so that no pattern costs much more per line than a
/// simple one (ICU, behind NSRegularExpression, backtracks without limit).
///
/// - Patterns: at most `maxPatternLength` characters, compiled once per request
///   (UTF-8, caseless, Unicode `\w`/`\d`/`\b`), JIT-compiled when PCRE2 can.
/// - Lines: only the first `searchedBytes` of a line are searched.
/// - Work: `matchLimit`/`depthLimit`/`heapLimitKiB` bound one start position;
///   `lineBudgetNanos` of CPU time bounds the whole line. A line that runs into
///   either counts as not matching and is counted in `limitedLines`; after
///   `maxLimitedLines` such lines the search gives up (`stopped`).
///
/// One matcher serves one request; calls are serialised by a lock (the match
/// data and JIT stack are reused from call to call).
public final class LogMatcher: @unchecked Sendable {
    public static let maxPatternLength = 500
    /// Longer lines are searched in their first 16 KiB (the engine splits longer lines anyway).
    public static let searchedBytes = 16 << 10
    static let matchLimit: UInt32 = 100_000
    static let depthLimit: UInt32 = 10_000
    static let heapLimitKiB: UInt32 = 4 << 10
    static let lineBudgetNanos: UInt64 = 2_000_000
    /// After this many lines hit the limits, the rest of the log is not searched.
    public static let maxLimitedLines = 100

    /// Searches run here: plain dispatch threads, not Swift's cooperative pool.
    public static let queue = DispatchQueue(label: "jarvis.log-search", qos: .utility, attributes: .concurrent)

    /// What one line came to.
    public enum Outcome: Equatable, Sendable { case match, noMatch, limited }

    private let code: OpaquePointer
    private let context: OpaquePointer
    private let data: OpaquePointer
    private let jitStack: OpaquePointer?
    private let lock = NSLock()
    private var limited = 0
    /// True when PCRE2 JIT-compiled the pattern (the limits apply either way).
    public let usesJIT: Bool

    /// Compiles `pattern`; a regular expression PCRE2 refuses is a 400 `invalid_regex`
    /// that names the character where PCRE2 stopped.
    public init(_ pattern: String, regex isRegex: Bool) throws {
        guard pattern.count <= Self.maxPatternLength else {
            throw JarvisError.badRequest("q is longer than \(Self.maxPatternLength) characters", code: "invalid_parameter").field("q")
        }
        let compiled: Compiled
        if isRegex {
            // Compiled as given first, so errors point into the user's own pattern.
            try Self.compile(Array(pattern.utf8), reportingFor: pattern).free()
            // A pattern ending in an extended-mode `# comment` needs a newline to end it.
            compiled = try (try? Self.compile(Self.withStartCallout(Array(pattern.utf8)), reportingFor: pattern))
                ?? Self.compile(Self.withStartCallout(Array(pattern.utf8), endingComment: true), reportingFor: pattern)
        } else {
            compiled = try Self.compile(Array("(?C1)".utf8) + Self.escaped(pattern), reportingFor: pattern)
        }
        guard let context = pcre2_match_context_create_8(nil), let data = pcre2_match_data_create_8(1, nil) else {
            compiled.free()
            throw JarvisError(500, "internal", "out of memory compiling the search")
        }
        code = compiled.code
        self.context = context
        self.data = data
        pcre2_set_match_limit_8(context, Self.matchLimit)
        pcre2_set_depth_limit_8(context, Self.depthLimit)
        pcre2_set_heap_limit_8(context, Self.heapLimitKiB)
        usesJIT = pcre2_jit_compile_8(code, UInt32(PCRE2_JIT_COMPLETE)) == 0
        jitStack = usesJIT ? pcre2_jit_stack_create_8(32 << 10, 512 << 10, nil) : nil
        if let jitStack { pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(jitStack)) }
    }

    deinit {
        pcre2_match_data_free_8(data)
        pcre2_match_context_free_8(context)
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
        pcre2_code_free_8(code)
    }

    /// Lines so far whose search ran into the limits (and counted as not matching).
    public var limitedLines: Int { lock.withLock { limited } }

    /// True once `maxLimitedLines` lines hit the limits: later lines are not searched.
    public var stopped: Bool { limitedLines >= Self.maxLimitedLines }

    public func matches(_ text: String) -> Bool { match(text) == .match }

    /// Searches the first `searchedBytes` of `text`; `.limited` is counted.
    public func match(_ text: String) -> Outcome {
        var text = text
        return text.withUTF8 { bytes in
            var length = min(bytes.count, Self.searchedBytes)
            // Cut on a character boundary: the subject must stay valid UTF-8.
            while length < bytes.count, length > 0, bytes[length] & 0xC0 == 0x80 { length -= 1 }
            lock.lock()
            defer { lock.unlock() }
            guard limited < Self.maxLimitedLines else { return .noMatch }
            let rc = jarvis_pcre2_match_budgeted(code, bytes.baseAddress, length, data, context, Self.lineBudgetNanos)
            if rc >= 0 { return .match }
            if rc == PCRE2_ERROR_NOMATCH { return .noMatch }
            // Match, depth, heap or JIT stack limit, the CPU budget, or no memory.
            limited += 1
            return .limited
        }
    }

    // MARK: compiling

    private struct Compiled {
        let code: OpaquePointer
        func free() { pcre2_code_free_8(code) }
    }

    static let compileOptions = UInt32(PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_NEVER_BACKSLASH_C)

    private static func compile(_ source: [UInt8], reportingFor pattern: String) throws -> Compiled {
        guard let compileContext = pcre2_compile_context_create_8(nil) else { throw JarvisError(500, "internal", "out of memory compiling the search") }
        defer { pcre2_compile_context_free_8(compileContext) }
        pcre2_set_parens_nest_limit_8(compileContext, 64)
        var error: Int32 = 0
        var offset = 0
        let code = source.withUnsafeBufferPointer { buffer in
            pcre2_compile_8(buffer.baseAddress, buffer.count, compileOptions, &error, &offset, compileContext)
        }
        if let code { return Compiled(code: code) }
        var message = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(error, &message, message.count)
        let reason = length > 0 ? String(decoding: message.prefix(Int(length)), as: UTF8.self) : "error \(error)"
        let utf8 = Array(pattern.utf8)
        let character = String(decoding: utf8.prefix(min(offset, utf8.count)), as: UTF8.self).count
        throw JarvisError.badRequest("q is not a valid regular expression: \(reason) at character \(character)", code: "invalid_regex").field("q")
    }

    /// `(?C1)(?:pattern\E)`, the start-of-pattern settings `(*…)` kept in front: the
    /// callout is what lets the CPU budget cover every start position. (`\E` closes
    /// an open `\Q`; alone it is ignored.)
    static func withStartCallout(_ pattern: [UInt8], endingComment: Bool = false) -> [UInt8] {
        var index = 0
        // Leading `(*NAME)` or `(*NAME=digits)`: options that must open the pattern.
        while index + 2 < pattern.count, pattern[index] == UInt8(ascii: "("), pattern[index + 1] == UInt8(ascii: "*") {
            var end = index + 2
            while end < pattern.count, pattern[end] == UInt8(ascii: "_") || (pattern[end] >= 0x41 && pattern[end] <= 0x5A) { end += 1 }
            guard end > index + 2, end < pattern.count else { break }
            if pattern[end] == UInt8(ascii: "=") {
                end += 1
                while end < pattern.count, pattern[end] >= 0x30 && pattern[end] <= 0x39 { end += 1 }
            }
            guard end < pattern.count, pattern[end] == UInt8(ascii: ")") else { break }
            index = end + 1
        }
        return Array(pattern[..<index]) + Array("(?C1)(?:".utf8) + Array(pattern[index...]) + Array((endingComment ? "\\E\n)" : "\\E)").utf8)
    }

    /// Every ASCII punctuation character escaped: the substring matches literally.
    static func escaped(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 2)
        for byte in text.utf8 {
            let isAlphanumeric = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if byte < 0x80 && !isAlphanumeric && byte >= 0x20 { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        return out
    }
}
