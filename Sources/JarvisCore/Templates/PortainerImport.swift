import Foundation

/// Portainer App Templates JSON, versions 2 and 3 (portainer-docs `advanced/app-templates/format.md`),
/// converted to Jarvis templates:
///
/// - type 1 (container) becomes a one-service Compose file: `image` (with `registry` in front),
///   `command`, `ports`, `volumes` (`bind` → a bind mount, else a named volume `volume-N`; `readonly` → `:ro`),
///   `labels`, `hostname`, `restart_policy` (default `always`, as Portainer's), `network` → `network_mode`,
///   `privileged`, `interactive` → `stdin_open` + `tty`.
/// - types 2 and 3 (Swarm and Compose stacks) name a file in a Git repository, which Jarvis does not fetch:
///   they are listed, not deployable, with a warning saying where the file is.
/// - `env` entries become fields whose value reaches the service as `${NAME}`: `select` → a select field
///   (`text` is the label, `default: true` the default), `preset` → a fixed value with no input,
///   names with PASS/SECRET/TOKEN/KEY → a password field.
/// - v3's numeric `id` makes the template id (`<source>.<id>-<title>`); v2 entries use their position.
///
/// Any other key is listed in the template's `warnings`, never dropped silently.
public enum PortainerImport {
    public struct Result: Sendable {
        public var templates: [AppTemplate]
        /// Problems of the list itself (not of one entry).
        public var warnings: [String]
    }

    static let containerKeys: Set<String> = ["type", "title", "description", "categories", "platform", "logo", "note", "name", "image",
                                             "registry", "command", "env", "ports", "volumes", "labels", "hostname", "restart_policy",
                                             "network", "privileged", "interactive", "administrator_only", "administrator-only", "id"]
    static let stackKeys: Set<String> = ["type", "title", "description", "categories", "platform", "logo", "note", "name", "env",
                                         "repository", "administrator_only", "administrator-only", "id"]
    public static let maxTemplates = 2000

    /// Converts a list; throws a 400 naming the problem when the document is not such a list.
    public static func convert(_ data: Data, source: String) throws -> Result {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw JarvisError.invalidField("file", "not a Portainer template list: expected a JSON object with version and templates")
        }
        let version = (root["version"] as? String) ?? (root["version"] as? Int).map(String.init) ?? ""
        guard version == "2" || version == "3" else {
            throw JarvisError.invalidField("file", "Portainer template version \(version.isEmpty ? "(none)" : String(version.prefix(16))) is not supported; 2 and 3 are")
        }
        guard let entries = root["templates"] as? [Any] else { throw JarvisError.invalidField("file", "templates must be a list") }
        guard entries.count <= maxTemplates else { throw JarvisError.invalidField("file", "at most \(maxTemplates) templates") }
        var result = Result(templates: [], warnings: [])
        for key in root.keys.sorted() where !["version", "templates"].contains(key) { result.warnings.append("\(key): not supported, ignored") }
        var used = Set<String>()
        for (index, raw) in entries.enumerated() {
            guard let entry = raw as? [String: Any] else { result.warnings.append("templates[\(index)]: not an object, skipped"); continue }
            var template = convertEntry(entry, index: index, version: version, source: source)
            while used.contains(template.id) { template.id += "-\(index + 1)" }
            used.insert(template.id)
            result.templates.append(template)
        }
        return result
    }

    static func convertEntry(_ entry: [String: Any], index: Int, version: String, source: String) -> AppTemplate {
        let type = (entry["type"] as? Int) ?? Int(entry["type"] as? String ?? "") ?? 1
        let title = (entry["title"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "Template \(index + 1)"
        let slug = slugify((entry["name"] as? String) ?? title)
        let number = version == "3" ? (entry["id"] as? Int).map(String.init) ?? String(index + 1) : String(index + 1)
        var warnings: [String] = []
        let known = type == 1 ? containerKeys : stackKeys
        for key in entry.keys.sorted() where !known.contains(key) { warnings.append("\(key): not supported, ignored") }
        if version == "2", entry["id"] != nil { warnings.append("id: only version 3 lists have ids, ignored") }
        var template = AppTemplate(id: "\(source).\(number)-\(slug)", source: source, title: title,
                                   description: entry["description"] as? String ?? "",
                                   categories: (entry["categories"] as? [Any])?.compactMap { $0 as? String } ?? [],
                                   logo: entry["logo"] as? String, notes: entry["note"] as? String,
                                   platforms: (entry["platform"] as? String).map { [$0] } ?? [], version: "1", defaultStack: slug,
                                   compose: "", adminOnly: (entry["administrator_only"] as? Bool) ?? (entry["administrator-only"] as? Bool) ?? false)
        template.fields = envFields(entry["env"], warnings: &warnings)
        switch type {
        case 1:
            template.compose = containerCompose(entry, slug: slug, title: title, fields: template.fields, warnings: &warnings)
            if (entry["image"] as? String ?? "").isEmpty {
                template.deployable = false
                warnings.append("image: missing; the template cannot be deployed")
            }
        case 2, 3:
            let repository = entry["repository"] as? [String: Any]
            template.deployable = false
            warnings.append("repository: the Compose file is \(repository?["stackfile"] as? String ?? "?") in the Git repository "
                            + "\(repository?["url"] as? String ?? "?"), which Jarvis does not fetch; create a stack from that file instead")
            if type == 2 { warnings.append("type 2: a Swarm stack; Jarvis deploys Compose stacks on one engine") }
        default:
            template.deployable = false
            warnings.append("type \(type): unknown template type")
        }
        template.warnings = warnings
        return template
    }

    static func envFields(_ raw: Any?, warnings: inout [String]) -> [TemplateField] {
        guard let list = raw as? [Any] else { return [] }
        var fields: [TemplateField] = []
        for (index, item) in list.enumerated() {
            guard let env = item as? [String: Any], let name = env["name"] as? String,
                  name.range(of: TemplateFormat.envName, options: .regularExpression) != nil else {
                warnings.append("env[\(index)]: needs a valid name, skipped")
                continue
            }
            for key in env.keys.sorted() where !["name", "label", "description", "default", "preset", "select"].contains(key) {
                warnings.append("env[\(index)].\(key): not supported, ignored")
            }
            var fieldName = slugify(name).replacingOccurrences(of: "-", with: "_")
            if !(fieldName.first?.isLetter ?? false) { fieldName = "v_" + fieldName }
            while fields.contains(where: { $0.name == fieldName }) { fieldName += "_\(index)" }
            let defaultValue = (env["default"] as? String) ?? (env["default"] as? Int).map(String.init)
            var field = TemplateField(name: String(fieldName.prefix(64)), env: name, type: SecretMask.isSecretKey(name) ? .password : .text,
                                      label: env["label"] as? String ?? name, description: env["description"] as? String,
                                      defaultValue: defaultValue, preset: env["preset"] as? Bool ?? false)
            if let select = env["select"] as? [Any] {
                field.type = .select
                for option in select {
                    guard let option = option as? [String: Any], let value = option["value"] as? String else { continue }
                    field.options.append(.init(value: value, label: option["text"] as? String ?? value))
                    if option["default"] as? Bool == true { field.defaultValue = value }
                }
                if field.options.isEmpty {
                    field.type = .text
                    warnings.append("env[\(index)].select: no usable options, a text field instead")
                }
            }
            // Portainer asks for every visible variable; an input left without a default must be filled.
            field.required = !field.preset && field.defaultValue == nil
            fields.append(field)
        }
        return fields
    }

    static func containerCompose(_ entry: [String: Any], slug: String, title: String, fields: [TemplateField], warnings: inout [String]) -> String {
        var image = entry["image"] as? String ?? ""
        if let registry = entry["registry"] as? String, !registry.isEmpty, !image.isEmpty { image = registry + "/" + image }
        var lines = ["x-jarvis:", "  title: \(yaml(title))", "services:", "  \(slug):", "    image: \(yaml(literal(image)))"]
        lines.append("    restart: \(yaml(entry["restart_policy"] as? String ?? "always"))")
        if let command = entry["command"] as? String, !command.isEmpty { lines.append("    command: \(yaml(literal(command)))") }
        if let hostname = entry["hostname"] as? String, !hostname.isEmpty { lines.append("    hostname: \(yaml(literal(hostname)))") }
        if let network = entry["network"] as? String, !network.isEmpty { lines.append("    network_mode: \(yaml(literal(network)))") }
        if entry["privileged"] as? Bool == true { lines.append("    privileged: true") }
        if entry["interactive"] as? Bool == true { lines += ["    stdin_open: true", "    tty: true"] }
        if !fields.isEmpty {
            lines.append("    environment:")
            for field in fields { lines.append("      \(field.env): \(yaml("${\(field.env)}"))") }
        }
        let ports = (entry["ports"] as? [Any] ?? []).compactMap { $0 as? String }
        if !ports.isEmpty {
            lines.append("    ports:")
            for port in ports { lines.append("      - \(yaml(port))") }
        }
        var named: [String] = []
        if let volumes = entry["volumes"] as? [Any], !volumes.isEmpty {
            lines.append("    volumes:")
            for (index, raw) in volumes.enumerated() {
                guard let volume = raw as? [String: Any], let target = volume["container"] as? String else {
                    warnings.append("volumes[\(index)]: needs container, skipped")
                    continue
                }
                let readOnly = volume["readonly"] as? Bool == true ? ":ro" : ""
                if let bind = volume["bind"] as? String, !bind.isEmpty {
                    lines.append("      - \(yaml(literal(bind) + ":" + literal(target) + readOnly))")
                } else {
                    named.append("volume-\(named.count + 1)")
                    lines.append("      - \(yaml(named.last! + ":" + literal(target) + readOnly))")
                }
            }
        }
        if let labels = entry["labels"] as? [Any], !labels.isEmpty {
            lines.append("    labels:")
            for raw in labels {
                guard let label = raw as? [String: Any], let name = label["name"] as? String else { continue }
                lines.append("      \(yaml(literal(name))): \(yaml(literal(label["value"] as? String ?? "")))")
            }
        }
        if !named.isEmpty {
            lines.append("volumes:")
            for name in named { lines.append("  \(name): {}") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A JSON string is a valid YAML double-quoted scalar.
    static func yaml(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(decoding: data, as: UTF8.self).dropFirst().dropLast().description
    }

    /// Text that Compose must not interpolate: `$` doubled.
    static func literal(_ text: String) -> String { text.replacingOccurrences(of: "$", with: "$$") }

    /// `My App 2!` → `my-app-2`: a stack and service name.
    static func slugify(_ text: String) -> String {
        var out = ""
        for character in text.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) { out.append(character) }
            else if !out.isEmpty && out.last != "-" { out.append("-") }
        }
        while out.hasSuffix("-") { out.removeLast() }
        let trimmed = String(out.prefix(48))
        return trimmed.isEmpty ? "app" : (trimmed.hasSuffix("-") ? String(trimmed.dropLast()) : trimmed)
    }
}
