import Foundation

/// The one rule for what is secret, and the masks that apply it: container
/// environments and `.env`/Compose texts shown to viewers, task parameters and
/// audit rows as they are stored.
///
/// - A key is secret when its name, in any case, contains PASS, PWD, SECRET,
///   TOKEN, KEY, CREDENTIAL or PRIVATE: its value becomes `mask`.
/// - Whatever the key, a URL with user info keeps only the user name:
///   `postgres://app:pw@db/x` → `postgres://app:***@db/x`; a lone user name
///   (often a token, `https://ghp_…@github.com/…`) becomes `***`.
///
/// Texts keep their lines: a masked `.env` or Compose file has as many lines as
/// the original, so editor findings still point at the right line.
public enum SecretMask {
    /// What a secret value is replaced by.
    public static let mask = "••••••"
    /// What the password (or lone user name) of a URL is replaced by.
    public static let urlMask = "***"
    static let markers = ["PASS", "PWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "PRIVATE"]

    /// True for names such as `DB_PASSWORD`, `MYSQL_PWD`, `api_key`, `AWS_SECRET_ACCESS_KEY`.
    public static func isSecretKey<S: StringProtocol>(_ name: S) -> Bool {
        let upper = name.uppercased()
        return markers.contains { upper.contains($0) }
    }

    /// A value as stored or shown under `key`: masked when the key is secret, else with user-info URLs masked.
    public static func maskValue(_ value: String, key: String) -> String {
        isSecretKey(key) && !value.isEmpty ? mask : maskURLs(in: value)
    }

    // MARK: URLs

    /// `scheme://user:password@host/…` → `scheme://user:***@host/…`; `scheme://token@host` →
    /// `scheme://***@host`. A URL without user info (or any other text) is returned unchanged.
    public static func stripUserInfo(_ url: String) -> String { maskURLs(in: url) }

    /// True when `text` holds a URL with user info.
    public static func hasUserInfo(_ text: String) -> Bool { maskURLs(in: text) != text }

    /// Every `scheme://user:password@host` inside `text` masked, the rest untouched.
    public static func maskURLs(in text: String) -> String {
        guard text.contains("://"), text.contains("@") else { return text }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            guard let (authority, end) = userInfoSpan(bytes, schemeSeparatorAt: index) else {
                output.append(bytes[index])
                index += 1
                continue
            }
            // bytes[index..<authority] is "://", bytes[authority..<end] the user info before "@".
            output += bytes[index..<authority]
            let info = bytes[authority..<end]
            if let colon = info.firstIndex(of: UInt8(ascii: ":")) {
                output += bytes[authority...colon]
            }
            output += Array(urlMask.utf8)
            index = end
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// When `bytes[at...]` starts `://` after a scheme and the authority carries user
    /// info: where the user info starts and where its final `@` is.
    private static func userInfoSpan(_ bytes: [UInt8], schemeSeparatorAt at: Int) -> (Int, Int)? {
        guard at > 0, at + 3 < bytes.count, bytes[at] == UInt8(ascii: ":"), bytes[at + 1] == UInt8(ascii: "/"),
              bytes[at + 2] == UInt8(ascii: "/"), isSchemeByte(bytes[at - 1]) else { return nil }
        let start = at + 3
        // The URL runs to a blank, a quote, a bracket or a comma. Passwords are often left
        // unencoded ("/", "@", "#" included), so the user info ends at the URL's last "@";
        // a path with an "@" after real user info is masked too far, never too little.
        var end = start
        while end < bytes.count, !isURLEnd(bytes[end]) { end += 1 }
        guard let firstAt = bytes[start..<end].firstIndex(of: UInt8(ascii: "@")),
              let lastAt = bytes[start..<end].lastIndex(of: UInt8(ascii: "@")), firstAt > start || lastAt > start else { return nil }
        if let slash = bytes[start..<firstAt].firstIndex(of: UInt8(ascii: "/")) {
            // "/" before the first "@": a path ("host/@user", "host:8080/a@b") unless
            // "user:" precedes it with something other than a port number.
            guard let colon = bytes[start..<slash].firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let afterColon = bytes[(colon + 1)..<slash]
            if !afterColon.isEmpty && afterColon.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return nil }
        }
        return (start, lastAt)
    }

    private static func isSchemeByte(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2B || byte == 0x2D || byte == 0x2E
    }

    private static func isURLEnd(_ byte: UInt8) -> Bool {
        byte <= 0x20 || [UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"), UInt8(ascii: "<"), UInt8(ascii: ">"),
                         UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ",")].contains(byte)
    }

    // MARK: environments

    /// `KEY=value` entries (a container's `Env`): secret keys' values masked, user-info URLs masked in all.
    public static func maskEnvironmentEntries(_ entries: [String]) -> [String] {
        entries.map { entry in
            guard let equals = entry.firstIndex(of: "=") else { return maskURLs(in: entry) }
            let key = String(entry[..<equals])
            return key + "=" + maskValue(String(entry[entry.index(after: equals)...]), key: key)
        }
    }

    /// A string map (build arguments, task or audit parameters) under the same rule.
    public static func maskDictionary(_ values: [String: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: values.map { ($0.key, maskValue($0.value, key: $0.key)) })
    }

    /// A line inside a secret value whose quote opened on an earlier line: what may be shown of it
    /// (the closing quote and after), or nil when no quote is open.
    static func insideOpenQuote(_ line: String, _ open: inout Character?) -> String? {
        guard let quote = open else { return nil }
        guard let close = line.firstIndex(of: quote) else { return "" }
        open = nil
        return String(line[close...])
    }

    /// A `.env` file: values of secret keys masked (quotes and trailing comments kept),
    /// user-info URLs masked everywhere, comments, blank lines and line count unchanged.
    public static func maskEnvText(_ text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        var open: Character?  // the quote of a secret value still open from an earlier line
        for (number, line) in lines.enumerated() {
            if let shown = insideOpenQuote(line, &open) {
                lines[number] = shown
                continue
            }
            guard let (keyRange, valueStart) = envAssignment(line), isSecretKey(line[keyRange]) else {
                lines[number] = maskURLs(in: line)
                continue
            }
            let (masked, unclosed) = maskScalar(line, from: valueStart, commentNeedsSpace: true)
            lines[number] = masked
            open = unclosed
        }
        return lines.joined(separator: "\n")
    }

    /// `[export ]KEY=value` → the key's range and where the value starts.
    private static func envAssignment(_ line: String) -> (Range<String.Index>, String.Index)? {
        var index = line.startIndex
        while index < line.endIndex, line[index] == " " || line[index] == "\t" { index = line.index(after: index) }
        if line[index...].hasPrefix("export ") { index = line.index(index, offsetBy: 7) }
        let keyStart = index
        while index < line.endIndex, line[index].isLetter || line[index].isNumber || "_.-".contains(line[index]) { index = line.index(after: index) }
        guard index > keyStart else { return nil }
        let keyEnd = index
        while index < line.endIndex, line[index] == " " || line[index] == "\t" { index = line.index(after: index) }
        guard index < line.endIndex, line[index] == "=" else { return nil }
        index = line.index(after: index)
        while index < line.endIndex, line[index] == " " || line[index] == "\t" { index = line.index(after: index) }
        return (keyStart..<keyEnd, index)
    }

    /// The line with the scalar value starting at `start` replaced by `mask`: surrounding
    /// quotes and a trailing `# comment` stay. Returns the quote still open at the end of
    /// the line, if the value goes on below.
    static func maskScalar(_ line: String, from start: String.Index, commentNeedsSpace: Bool) -> (String, Character?) {
        guard start < line.endIndex else { return (line, nil) }
        let head = String(line[..<start])
        let first = line[start]
        if first == "\"" || first == "'" {
            let afterQuote = line.index(after: start)
            var index = afterQuote
            while index < line.endIndex {
                if line[index] == "\\" && first == "\"" {
                    index = line.index(after: index)
                    if index < line.endIndex { index = line.index(after: index) }
                    continue
                }
                if line[index] == first { break }
                index = line.index(after: index)
            }
            guard index < line.endIndex else { return (head + String(first) + mask, first) }
            let rest = String(line[index...])
            return (head + String(first) + mask + rest, nil)
        }
        // Unquoted: up to a comment (" #"), trailing blanks kept.
        var end = line.endIndex
        var index = start
        while index < line.endIndex {
            if line[index] == "#", index == start || !commentNeedsSpace || line[line.index(before: index)] == " " || line[line.index(before: index)] == "\t" {
                end = index
                break
            }
            index = line.index(after: index)
        }
        var valueEnd = end
        while valueEnd > start, line[line.index(before: valueEnd)] == " " || line[line.index(before: valueEnd)] == "\t" {
            valueEnd = line.index(before: valueEnd)
        }
        guard valueEnd > start else { return (line, nil) }
        return (head + mask + String(line[valueEnd...]), nil)
    }
}
