import Foundation
import JarvisStore

/// Every template a user may see: the built-in folder (`templates_dir`, one folder per template with
/// its `compose.yaml`), the site's own folder (`<data_dir>/templates`, source `local`: kept across
/// upgrades, which replace the built-in folder), and the imported lists' last good copies in the store.
public struct TemplateCatalog: Sendable {
    public let templatesDir: String
    public let localDir: String?
    let database: AppDatabase

    public init(templatesDir: String, localDir: String? = nil, database: AppDatabase) {
        self.templatesDir = templatesDir
        self.localDir = localDir
        self.database = database
    }

    /// A built-in template that does not parse is left out, with its error (the unit test keeps there being none).
    public struct Builtin: Sendable {
        public var templates: [AppTemplate]
        public var errors: [String]
    }

    public func builtin() -> Builtin { Self.folder(templatesDir, source: "builtin") }

    /// The templates of one folder: `<folder>/<name>/compose.yaml` each.
    static func folder(_ directory: String, source: String) -> Builtin {
        var result = Builtin(templates: [], errors: [])
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter(StacksFolder.isValidName).sorted()
        for name in names {
            let path = directory + "/" + name + "/compose.yaml"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            do {
                result.templates.append(try TemplateFormat.parse(text, id: name, source: source))
            } catch {
                result.errors.append("\(path): \(error)")
            }
        }
        return result
    }

    /// Built-ins first, then each source's templates; admin-only entries only for admins.
    public func all(role: Role) -> [AppTemplate] {
        var templates = builtin().templates
        if let localDir { templates += Self.folder(localDir, source: "local").templates }
        for source in (try? database.templateSources()) ?? [] {
            templates += Self.decodeTemplates(source.templates)
        }
        return templates.filter { !$0.adminOnly || role >= .admin }
    }

    public func template(_ id: String, role: Role) throws -> AppTemplate {
        guard let template = all(role: role).first(where: { $0.id == id }) else { throw JarvisError.notFound("no template \(id.prefix(128))") }
        return template
    }

    static func decodeTemplates(_ json: String) -> [AppTemplate] {
        (try? JSONDecoder().decode([AppTemplate].self, from: Data(json.utf8))) ?? []
    }

    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }
}
