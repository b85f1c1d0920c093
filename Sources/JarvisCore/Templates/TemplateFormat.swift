import Foundation
import Yams

/// A template file that does not follow the format, with the key path at fault (`x-jarvis.fields[1].type`).
public struct TemplateFormatError: Error, Sendable, CustomStringConvertible, Equatable {
    public let path: String
    public let message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// Reads the `x-jarvis` block of a Compose file (docs/templates.md). The Compose part itself is
/// checked by Jarvis's Compose loader, as any stack's is; this checks the block's own rules.
public enum TemplateFormat {
    static let fieldName = #"^[a-z][a-z0-9_]{0,63}$"#
    static let envName = #"^[A-Za-z_][A-Za-z0-9_]{0,127}$"#
    static let knownKeys: Set<String> = ["id", "title", "description", "categories", "logo", "notes", "platforms", "version", "requires",
                                         "stack", "fields"]
    static let knownFieldKeys: Set<String> = ["name", "env", "type", "label", "description", "default", "required", "regex", "options",
                                              "min", "max", "length", "alphabet"]

    /// The stack names a Compose file's `x-jarvis.requires` lists (empty when it has none or is not YAML).
    public static func requires(composeText: String) -> [String] {
        guard let root = (try? Yams.load(yaml: composeText)) as? [String: Any], let block = root["x-jarvis"] as? [String: Any] else { return [] }
        return (block["requires"] as? [Any])?.compactMap { $0 as? String } ?? []
    }

    /// Parses a template file; `id` is the folder's name when the block gives none.
    public static func parse(_ text: String, id fallbackID: String, source: String = "builtin") throws -> AppTemplate {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw TemplateFormatError("compose", "not YAML: \(error)")
        }
        guard let root = loaded as? [String: Any] else { throw TemplateFormatError("compose", "a Compose file is a mapping") }
        guard let block = root["x-jarvis"] as? [String: Any] else { throw TemplateFormatError("x-jarvis", "missing: a template needs an x-jarvis block") }
        if let unknown = block.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw TemplateFormatError("x-jarvis.\(unknown)", "unknown key")
        }
        let slug = try optionalString(block, "id", "x-jarvis") ?? fallbackID
        guard StacksFolder.isValidName(slug) else { throw TemplateFormatError("x-jarvis.id", "lowercase letters, digits, - and _") }
        guard let title = try optionalString(block, "title", "x-jarvis"), !title.isEmpty else { throw TemplateFormatError("x-jarvis.title", "required") }
        let requires = try strings(block, "requires", "x-jarvis")
        for (index, name) in requires.enumerated() where !StacksFolder.isValidName(name) {
            throw TemplateFormatError("x-jarvis.requires[\(index)]", "not a stack name")
        }
        let fieldList = block["fields"] ?? []
        guard let rawFields = fieldList as? [Any] else { throw TemplateFormatError("x-jarvis.fields", "a list of fields") }
        var fields: [TemplateField] = []
        for (index, raw) in rawFields.enumerated() {
            let field = try parseField(raw, at: "x-jarvis.fields[\(index)]")
            if fields.contains(where: { $0.name == field.name }) { throw TemplateFormatError("x-jarvis.fields[\(index)].name", "\(field.name) twice") }
            if fields.contains(where: { $0.env == field.env }) { throw TemplateFormatError("x-jarvis.fields[\(index)].env", "\(field.env) twice") }
            fields.append(field)
        }
        let stack = try optionalString(block, "stack", "x-jarvis") ?? slug
        guard StacksFolder.isValidName(stack) else { throw TemplateFormatError("x-jarvis.stack", "not a stack name") }
        return AppTemplate(id: "\(source).\(slug)", source: source, title: title,
                           description: try optionalString(block, "description", "x-jarvis") ?? "",
                           categories: try strings(block, "categories", "x-jarvis"), logo: try optionalString(block, "logo", "x-jarvis"),
                           notes: try optionalString(block, "notes", "x-jarvis"), platforms: try strings(block, "platforms", "x-jarvis"),
                           version: try scalar(block["version"], "x-jarvis.version") ?? "1", requires: requires, defaultStack: stack,
                           fields: fields, compose: text)
    }

    static func parseField(_ raw: Any, at path: String) throws -> TemplateField {
        guard let map = raw as? [String: Any] else { throw TemplateFormatError(path, "a field is a mapping") }
        if let unknown = map.keys.sorted().first(where: { !knownFieldKeys.contains($0) }) { throw TemplateFormatError("\(path).\(unknown)", "unknown key") }
        guard let name = try optionalString(map, "name", path), name.range(of: fieldName, options: .regularExpression) != nil else {
            throw TemplateFormatError("\(path).name", "required: lowercase letters, digits and _, starting with a letter")
        }
        guard let typeText = try optionalString(map, "type", path) ?? Optional("text"), let type = TemplateField.Kind(rawValue: typeText) else {
            throw TemplateFormatError("\(path).type", "one of \(TemplateField.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let env = try optionalString(map, "env", path) ?? name.uppercased()
        guard env.range(of: envName, options: .regularExpression) != nil else { throw TemplateFormatError("\(path).env", "not a variable name") }
        var field = TemplateField(name: name, env: env, type: type, label: try optionalString(map, "label", path),
                                  description: try optionalString(map, "description", path),
                                  defaultValue: try scalar(map["default"], "\(path).default"),
                                  required: map["required"] as? Bool ?? false, regex: try optionalString(map, "regex", path),
                                  min: map["min"] as? Int, max: map["max"] as? Int, length: map["length"] as? Int,
                                  alphabet: try optionalString(map, "alphabet", path))
        if let regex = field.regex {
            do { _ = try FieldPattern(regex) } catch { throw TemplateFormatError("\(path).regex", "\(error)") }
        }
        if type == .select {
            guard let options = map["options"] as? [Any], !options.isEmpty else { throw TemplateFormatError("\(path).options", "a select needs options") }
            for (index, option) in options.enumerated() {
                if let object = option as? [String: Any] {
                    guard let value = try scalar(object["value"], "\(path).options[\(index)].value") else {
                        throw TemplateFormatError("\(path).options[\(index)].value", "required")
                    }
                    field.options.append(.init(value: value, label: try scalar(object["label"], "\(path).options[\(index)].label") ?? value))
                } else if let text = try scalar(option, "\(path).options[\(index)]") {
                    field.options.append(.init(value: text, label: text))
                } else {
                    throw TemplateFormatError("\(path).options[\(index)]", "a value, or {value, label}")
                }
            }
            if let value = field.defaultValue, !field.options.contains(where: { $0.value == value }) {
                throw TemplateFormatError("\(path).default", "\(value) is not one of the options")
            }
        } else if map["options"] != nil {
            throw TemplateFormatError("\(path).options", "only a select has options")
        }
        if type == .random {
            let length = field.length ?? 32
            guard (8...256).contains(length) else { throw TemplateFormatError("\(path).length", "8 to 256") }
            guard TemplateSecrets.characters(field.alphabet ?? "alnum").count >= 2 else {
                throw TemplateFormatError("\(path).alphabet", "alnum, hex, base64url, or at least two characters")
            }
            if field.defaultValue != nil { throw TemplateFormatError("\(path).default", "a random field is generated, it has no default") }
        }
        if let value = field.defaultValue, type != .random {
            if let problem = TemplateValues.problem(value, for: field) { throw TemplateFormatError("\(path).default", problem) }
        }
        return field
    }

    // MARK: YAML scalars

    static func scalar(_ value: Any?, _ path: String) throws -> String? {
        switch value {
        case nil, is NSNull: return nil
        case let text as String: return text
        case let flag as Bool: return flag ? "true" : "false"
        case let number as Int: return String(number)
        case let number as Double: return String(number)
        default: throw TemplateFormatError(path, "a single value")
        }
    }

    static func optionalString(_ map: [String: Any], _ key: String, _ path: String) throws -> String? {
        guard let value = map[key] else { return nil }
        guard let text = value as? String else { throw TemplateFormatError("\(path).\(key)", "text") }
        return text
    }

    static func strings(_ map: [String: Any], _ key: String, _ path: String) throws -> [String] {
        guard let value = map[key] else { return [] }
        guard let list = value as? [Any] else { throw TemplateFormatError("\(path).\(key)", "a list") }
        return try list.enumerated().map { index, item in
            guard let text = try scalar(item, "\(path).\(key)[\(index)]") else { throw TemplateFormatError("\(path).\(key)[\(index)]", "text") }
            return text
        }
    }
}
