import Compose
import Foundation

/// A deploy's values, checked against a template's fields and rendered into the stack's `.env`.
/// The Compose file is written as the template has it: values reach it by interpolation
/// (`${POSTGRES_PASSWORD}`), so secrets live in `.env` only.
public struct TemplateValues: Sendable {
    /// `env name → value`, in field order.
    public let pairs: [(String, String)]
    /// The env names whose values must never be shown back (passwords, generated secrets).
    public let secretKeys: [String]
    /// Port fields' values with their field, for the "already published" check.
    public let ports: [(field: String, port: Int)]

    /// Checks `values` (the request's `values` object) and fills defaults and random secrets.
    /// Errors name the field: `values.db_password`.
    public static func resolve(_ template: AppTemplate, _ values: [String: JSONValue]) throws -> TemplateValues {
        let names = Set(template.fields.map(\.name))
        if let unknown = values.keys.sorted().first(where: { !names.contains($0) }) {
            throw JarvisError.invalidField("values.\(unknown.prefix(64))", "the template has no field \(unknown.prefix(64))")
        }
        var pairs: [(String, String)] = [], secrets: [String] = [], ports: [(String, Int)] = []
        for field in template.fields {
            let path = "values.\(field.name)"
            var text: String?
            if field.type == .random {
                if values[field.name] != nil { throw JarvisError.invalidField(path, "is generated at deploy; send no value") }
                text = TemplateSecrets.generate(length: field.length ?? 32, alphabet: field.alphabet ?? "alnum")
            } else if field.preset {
                text = field.defaultValue
            } else {
                switch values[field.name] {
                case nil, .null?: text = field.defaultValue
                case let .string(value)?: text = value
                case let .number(value)?:
                    guard value == value.rounded(), abs(value) < 1e15 else { throw JarvisError.invalidField(path, "a whole number") }
                    text = String(Int64(value))
                case let .bool(value)?: text = value ? "true" : "false"
                default: throw JarvisError.invalidField(path, "a single value (text, number or boolean)")
                }
            }
            let value = text ?? ""
            if value.isEmpty {
                if field.required { throw JarvisError.invalidField(path, "required").withCode("required") }
            } else if let problem = problem(value, for: field) {
                throw JarvisError.invalidField(path, problem)
            }
            if field.type == .port, let port = Int(value) { ports.append((field.name, port)) }
            if field.isSecret { secrets.append(field.env) }
            pairs.append((field.env, value))
        }
        return TemplateValues(pairs: pairs, secretKeys: secrets, ports: ports)
    }

    /// What is wrong with a non-empty value of `field`, or nil.
    static func problem(_ value: String, for field: TemplateField) -> String? {
        guard value.utf8.count <= FieldPattern.maxValueBytes else { return "at most \(FieldPattern.maxValueBytes) bytes" }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "no control characters (new lines, tabs)" }
        switch field.type {
        case .number:
            guard let number = Int(value) else { return "a whole number" }
            if let min = field.min, number < min { return "at least \(min)" }
            if let max = field.max, number > max { return "at most \(max)" }
        case .port:
            guard let number = Int(value), (1...65535).contains(number) else { return "a port number, 1 to 65535" }
            if let min = field.min, number < min { return "at least \(min)" }
            if let max = field.max, number > max { return "at most \(max)" }
        case .boolean:
            guard value == "true" || value == "false" else { return "true or false" }
        case .select:
            guard field.options.contains(where: { $0.value == value }) else {
                return "one of " + field.options.map(\.value).prefix(20).joined(separator: ", ")
            }
        case .text, .password, .random: break
        }
        if let regex = field.regex, let pattern = try? FieldPattern(regex), !pattern.matches(value) {
            return "does not match the pattern \(regex)"
        }
        // What `.env` reads back must be the value itself (a trailing backslash would escape the quote).
        guard (try? EnvFile.parse("V=" + quoted(value)))?.first?.1 == value else { return "cannot be written to .env as it is" }
        return nil
    }

    /// The `.env` text: single-quoted values (literal in Compose, no interpolation), one per line.
    public func envText(header: String) -> String {
        var lines = ["# " + header]
        for (key, value) in pairs { lines.append("\(key)=\(Self.quoted(value))") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func quoted(_ value: String) -> String {
        if value.isEmpty { return "" }
        return "'" + value.replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}

extension JarvisError {
    /// The same error under another code (`required`), keeping message and field.
    func withCode(_ code: String) -> JarvisError {
        var copy = JarvisError(status, code, message)
        copy.field = field
        copy.headers = headers
        return copy
    }
}
