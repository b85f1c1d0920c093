import Foundation

/// The `.env` / `env_file` format as the Compose specification ("Env_file format") and
/// compose-go's `dotenv` package read it:
///
/// - `#` starts a comment line; blank lines are skipped; `export ` may precede a key; a UTF-8 BOM is ignored.
/// - Keys are letters, digits (also first), `_ . - [ ]`; `KEY: value` works like `KEY=value`.
/// - Unquoted values end at the line's end or at ` #`, trailing blanks dropped, and are interpolated.
/// - Single quotes are literal (only `\'` is unescaped); double quotes take `\n \r \t \\ \" \$ …`
///   escapes and are interpolated; both may span lines. A comment may follow the closing quote.
/// - A key alone takes its value from the variables given (a `.env` has none to offer).
public enum EnvFile {
    public struct LineError: Error, Sendable {
        public let line: Int
        public let message: String
    }

    /// Pairs in file order. `base`, when given, is what values may interpolate (with the keys
    /// read before them); nil reads without interpolation.
    public static func parse(_ text: String, interpolating base: [String: String]? = nil) throws -> [(String, String)] {
        var parser = Parser(Array(text.unicodeScalars), base: base)
        return try parser.run()
    }

    /// `env_file` with `format: raw`: one `KEY=VALUE` per line, the value exactly as written.
    public static func parseRaw(_ text: String) throws -> [(String, String)] {
        var pairs: [(String, String)] = []
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        for (offset, raw) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw LineError(line: offset + 1, message: "expected KEY=VALUE, got \"\(trimmed.prefix(80))\"")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.unicodeScalars.allSatisfy(Parser.isKeyScalar) else {
                throw LineError(line: offset + 1, message: "invalid variable name \"\(key.prefix(80))\"")
            }
            pairs.append((key, String(line[line.index(after: equals)...])))
        }
        return pairs
    }

    /// A cursor over the text's scalars (not Characters: `\r\n` is one Character in Swift).
    struct Parser {
        let text: [Unicode.Scalar]
        let base: [String: String]?
        var index = 0
        var line = 1
        var known: [String: String]
        var pairs: [(String, String)] = []

        init(_ text: [Unicode.Scalar], base: [String: String]?) {
            self.text = text
            self.base = base
            known = base ?? [:]
            if text.first == "\u{FEFF}" { index = 1 }
        }

        mutating func run() throws -> [(String, String)] {
            while skipToStatement() {
                let start = line
                let (key, inherited) = try keyName()
                guard !key.isEmpty, !key.contains(" ") else {
                    throw LineError(line: start, message: "expected KEY=VALUE, got \"\(key.prefix(80))\"")
                }
                if inherited {
                    if let value = base?[key] { record(key, value) }
                    continue
                }
                record(key, try value(startLine: start))
            }
            return pairs
        }

        private mutating func record(_ key: String, _ value: String) {
            pairs.append((key, value))
            known[key] = value
        }

        /// Skips blanks, line breaks and comment lines; false at the end of the text.
        private mutating func skipToStatement() -> Bool {
            while index < text.count {
                let scalar = text[index]
                if scalar == "\n" {
                    line += 1
                    index += 1
                } else if scalar.properties.isWhitespace {
                    index += 1
                } else if scalar == "#" {
                    while index < text.count, text[index] != "\n" { index += 1 }
                } else {
                    return true
                }
            }
            return false
        }

        /// The key up to `=`, `:` or the line's end (a bare key: inherited).
        private mutating func keyName() throws -> (String, Bool) {
            if matches("export"), index + 6 < text.count, Self.isBlank(text[index + 6]) {
                index += 6
                while index < text.count, Self.isBlank(text[index]) { index += 1 }
            }
            let start = index
            while index < text.count {
                let scalar = text[index]
                if Self.isBlank(scalar) { index += 1; continue }
                if scalar == "=" || scalar == ":" || scalar == "\n" {
                    let key = String(String.UnicodeScalarView(text[start..<index])).trimmingCharacters(in: .whitespaces)
                    index += 1
                    if scalar == "\n" { line += 1; return (key, true) }
                    while index < text.count, Self.isBlank(text[index]) { index += 1 }
                    return (key, false)
                }
                guard Self.isKeyScalar(scalar) else {
                    let rest = String(String.UnicodeScalarView(text[start...].prefix { $0 != "\n" }))
                    throw LineError(line: line, message: "unexpected character \"\(scalar)\" in variable name \"\(rest.prefix(80))\"")
                }
                index += 1
            }
            return (String(String.UnicodeScalarView(text[start..<index])).trimmingCharacters(in: .whitespaces), true)
        }

        private mutating func value(startLine: Int) throws -> String {
            guard index < text.count, text[index] == "\"" || text[index] == "'" else { return try unquoted() }
            let quote = text[index]
            index += 1
            var scalars: [Unicode.Scalar] = []
            var escaped = false
            while index < text.count {
                let scalar = text[index]
                index += 1
                if scalar == "\n" { line += 1 }
                if scalar != quote {
                    if !escaped && scalar == "\\" { escaped = true; continue }
                    if escaped { escaped = false; scalars.append("\\") }
                    scalars.append(scalar)
                    continue
                }
                if escaped { escaped = false; scalars.append(scalar); continue }
                let value = String(String.UnicodeScalarView(scalars))
                return quote == "\"" ? try interpolated(Self.expandEscapes(value), line: startLine) : value
            }
            throw LineError(line: startLine, message: "unterminated quoted value")
        }

        private mutating func unquoted() throws -> String {
            let start = index
            while index < text.count, text[index] != "\n" { index += 1 }
            var value = String(String.UnicodeScalarView(text[start..<index]))
            let valueLine = line
            if index < text.count { index += 1; line += 1 }
            if let comment = value.range(of: " #") { value = String(value[..<comment.lowerBound]) }
            while let last = value.unicodeScalars.last, last.properties.isWhitespace { value.unicodeScalars.removeLast() }
            return try interpolated(value, line: valueLine)
        }

        private func interpolated(_ value: String, line: Int) throws -> String {
            guard base != nil else { return value }
            do {
                return try Interpolator(known).interpolate(value)
            } catch let failure as Interpolator.Failure {
                throw LineError(line: line, message: failure.message)
            }
        }

        private func matches(_ word: String) -> Bool {
            let scalars = Array(word.unicodeScalars)
            return index + scalars.count <= text.count && Array(text[index..<index + scalars.count]) == scalars
        }

        /// The escapes compose-go expands in double quotes; `\$` becomes `$$`, a literal `$` once interpolated.
        static func expandEscapes(_ value: String) -> String {
            let scalars = Array(value.unicodeScalars)
            var output = String.UnicodeScalarView()
            var index = 0
            let simple: [Unicode.Scalar: String] = ["a": "\u{07}", "b": "\u{08}", "f": "\u{0C}", "n": "\n", "r": "\r", "t": "\t",
                                                    "v": "\u{0B}", "\"": "\"", "\\": "\\", "$": "$$"]
            while index < scalars.count {
                let scalar = scalars[index]
                guard scalar == "\\", index + 1 < scalars.count else { output.append(scalar); index += 1; continue }
                let next = scalars[index + 1]
                if let replacement = simple[next] {
                    output.append(contentsOf: replacement.unicodeScalars)
                    index += 2
                } else if next == "0", index + 4 < scalars.count, (1...3).allSatisfy({ ("0"..."7").contains(scalars[index + 1 + $0]) }),
                          let code = UInt32(String(String.UnicodeScalarView(scalars[index + 2...index + 4])), radix: 8),
                          let decoded = Unicode.Scalar(code) {
                    output.append(decoded)
                    index += 5
                } else {
                    output.append(scalar)
                    index += 1
                }
            }
            return String(output)
        }

        static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
            ["\t", "\u{0B}", "\u{0C}", "\r", " ", "\u{85}", "\u{A0}"].contains(scalar)
        }

        static func isKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
            "_.-[]".unicodeScalars.contains(scalar) || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
        }
    }
}
