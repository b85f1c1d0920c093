import Foundation

/// The `.env` values of a template's secret fields (passwords, generated secrets) are never shown back,
/// not even to operators: the stack's file answer masks them, and a save that sends the mask back keeps
/// the value on disk. Lines keep their count, so editor findings still point at the right line.
public enum TemplateSecretMask {
    /// `text` with the values of `keys` replaced by `SecretMask.mask`.
    public static func mask(_ text: String, keys: Set<String>) -> String {
        guard !keys.isEmpty else { return text }
        return lines(text).map { line in
            guard let key = key(of: line), keys.contains(key) else { return line }
            return "\(key)=\(SecretMask.mask)"
        }.joined(separator: "\n")
    }

    /// The submitted text with each masked secret line replaced by the line of the file on disk.
    public static func restore(_ submitted: String, current: String?, keys: Set<String>) -> String {
        guard !keys.isEmpty, let current else { return submitted }
        var stored: [String: String] = [:]
        for line in lines(current) { if let key = key(of: line), keys.contains(key) { stored[key] = line } }
        return lines(submitted).map { line in
            guard let key = key(of: line), keys.contains(key), line.hasSuffix("=" + SecretMask.mask), let original = stored[key] else { return line }
            return original
        }.joined(separator: "\n")
    }

    private static func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    /// The key of a `KEY=value` line (`export ` allowed), or nil for comments and other lines.
    static func key(of line: String) -> String? {
        var body = line.trimmingCharacters(in: .whitespaces)
        if body.hasPrefix("#") { return nil }
        if body.hasPrefix("export ") { body = String(body.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
        guard let equals = body.firstIndex(of: "=") else { return nil }
        let key = body[..<equals].trimmingCharacters(in: .whitespaces)
        return key.isEmpty ? nil : key
    }
}
