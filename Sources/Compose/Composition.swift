import Foundation
import Yams

/// `include` and `extends`, applied to the document before it is read: the result is one
/// root mapping whose services need neither. Every node keeps the file it came from (see
/// `LoadContext.adopt`), so relative paths, interpolation and issues follow their own file.
///
/// - `include`: each entry's project (paths relative to the including file, its own `.env`
///   or `env_file` filling in variables the including project leaves unset) adds its
///   services, networks, volumes, secrets and configs; a name defined twice is an error.
/// - `extends`: the service named (in the same file, or `file:` relative to the extending
///   file) is the base the extending service is merged over (`NodeMerge`).
struct Composition {
    let context: LoadContext
    /// Each read file's root by absolute path, so a file extended twice is read once.
    private var documents: [String: Node] = [:]
    private static let sections = ["services", "networks", "volumes", "secrets", "configs"]
    private static let maxDepth = 10

    init(context: LoadContext, root: Node) {
        self.context = context
        documents[context.sources[0].path] = root
    }

    /// The root with includes merged in and every service's `extends` resolved.
    mutating func compose(_ root: Node) -> Node {
        var included = applyIncludes(root, chain: [context.sources[0].path])
        guard var entries = NodeMerge.mappingEntries(included) else { return root }
        if let index = entries.firstIndex(where: { $0.key.string == "services" }),
           let services = NodeMerge.mappingEntries(entries[index].value) {
            let resolved = services.map { entry -> (key: Node, value: Node) in
                let path = "services.\(entry.key.string ?? "")"
                return (entry.key, resolveExtends(entry.value, name: entry.key.string ?? "", path: path, chain: []))
            }
            entries[index] = (entries[index].key, NodeMerge.mapping(resolved, like: entries[index].value))
        }
        included = NodeMerge.mapping(entries, like: included)
        return included
    }

    // MARK: include

    private mutating func applyIncludes(_ root: Node, chain: [String]) -> Node {
        guard var entries = NodeMerge.mappingEntries(root), let index = entries.firstIndex(where: { $0.key.string == "include" }) else {
            return root
        }
        let includeNode = entries.remove(at: index).value
        let includeCursor = Cursor(node: includeNode, path: "include", context: context)
        for (offset, item) in (includeCursor.list() ?? []).enumerated() {
            guard let sub = load(include: item, chain: chain) else { continue }
            for (key, value) in NodeMerge.mappingEntries(sub) ?? [] {
                guard let section = key.string, Self.sections.contains(section) else {
                    if let name = key.string, name != "version", name != "name", !name.hasPrefix("x-") {
                        context.warning(Cursor(node: key, path: "include[\(offset)].\(name)", context: context),
                                        "only services, networks, volumes, secrets and configs of an included project are used")
                    }
                    continue
                }
                guard let position = entries.firstIndex(where: { $0.key.string == section }) else {
                    entries.append((key, value))
                    continue
                }
                var merged = NodeMerge.mappingEntries(entries[position].value) ?? []
                for (name, definition) in NodeMerge.mappingEntries(value) ?? [] {
                    if let clash = merged.first(where: { $0.key.string == name.string }) {
                        let theirs = context.source(of: name)
                        let ours = context.source(of: clash.key)
                        context.error(Cursor(node: name, path: "\(section).\(name.string ?? "")", context: context),
                                      "\(section.dropLast()) \(name.string ?? "") is also defined in \(ours.name)"
                                      + (clash.key.mark.map { ":\($0.line)" } ?? "") + "; an included project may not redefine it"
                                      + (theirs.name == ours.name ? "" : ""))
                        continue
                    }
                    merged.append((name, definition))
                }
                entries[position] = (entries[position].key, NodeMerge.mapping(merged, like: entries[position].value))
            }
        }
        return NodeMerge.mapping(entries, like: root)
    }

    /// One `include` entry's project: its files read, merged in order and their own includes applied.
    private mutating func load(include item: Cursor, chain: [String]) -> Node? {
        let base = item.folder
        var paths: [String] = []
        var projectDirectory: String?
        var envFiles: [String]?
        if case .mapping = item.node {
            for (key, field) in item.mapping() ?? [] {
                switch key {
                case "path": paths = field.strings() ?? []
                case "project_directory": projectDirectory = field.text().map { Paths.resolve($0, in: base) }
                case "env_file": envFiles = (field.strings() ?? []).map { Paths.resolve($0, in: base) }
                default: context.warning(field, "unsupported include setting, ignored")
                }
            }
        } else if let path = item.text() {
            paths = [path]
        }
        guard let first = paths.first else { context.error(item, "an include needs a path"); return nil }
        guard chain.count < Self.maxDepth else { context.error(item, "includes nest deeper than \(Self.maxDepth) files"); return nil }
        let files = paths.map { Paths.resolve($0, in: base) }
        let directory = projectDirectory ?? (Paths.resolve(first, in: base) as NSString).deletingLastPathComponent
        // The including project's variables win; the included project's .env fills in the rest.
        var variables = item.variables
        for file in envFiles ?? [directory + "/.env"] {
            guard let data = FileManager.default.contents(atPath: file) else {
                if envFiles != nil { context.error(item, "include env_file \(file) does not exist") }
                continue
            }
            // Its values reach the included services' environment, as an env_file's do.
            if !Paths.isInside(file, context.sources[0].folder) { context.hostAccess(item, "reads the env file \(file), outside the stack's folder") }
            do {
                for (key, value) in try EnvFile.parse(String(decoding: data, as: UTF8.self), interpolating: item.variables)
                where variables[key] == nil || item.variables[key] == nil {
                    variables[key] = value
                }
            } catch let error as EnvFile.LineError {
                context.error(item, "\(displayName(file)) line \(error.line): \(error.message)")
            } catch {}
        }
        var merged: Node?
        for file in files {
            if chain.contains(file) { context.error(item, "include cycle: \(displayName(file)) includes itself"); return nil }
            guard let root = read(file, folder: directory, variables: variables, at: item) else { return nil }
            let expanded = applyIncludes(root, chain: chain + [file])
            merged = merged.map { overrideFiles($0, expanded) } ?? expanded
        }
        return merged
    }

    /// A later file of one `include` entry overrides the earlier, as `-f a -f b` would.
    private func overrideFiles(_ base: Node, _ local: Node) -> Node {
        var entries = NodeMerge.mappingEntries(base) ?? []
        for (key, value) in NodeMerge.mappingEntries(local) ?? [] {
            guard let index = entries.firstIndex(where: { $0.key.string == key.string }) else { entries.append((key, value)); continue }
            if key.string == "services", let baseServices = NodeMerge.mappingEntries(entries[index].value) {
                var services = baseServices
                for (name, service) in NodeMerge.mappingEntries(value) ?? [] {
                    if let position = services.firstIndex(where: { $0.key.string == name.string }) {
                        services[position] = (services[position].key, NodeMerge.service(services[position].value, service))
                    } else {
                        services.append((name, service))
                    }
                }
                entries[index] = (entries[index].key, NodeMerge.mapping(services, like: entries[index].value))
            } else {
                entries[index] = (entries[index].key, NodeMerge.plain(entries[index].value, value))
            }
        }
        return NodeMerge.mapping(entries, like: base)
    }

    // MARK: extends

    /// The service with its `extends` chain merged in, base first.
    private mutating func resolveExtends(_ service: Node, name: String, path: String, chain: [String]) -> Node {
        guard var entries = NodeMerge.mappingEntries(service), let index = entries.firstIndex(where: { $0.key.string == "extends" }) else {
            return service
        }
        let extendsNode = entries.remove(at: index).value
        let own = NodeMerge.mapping(entries, like: service)
        let cursor = Cursor(node: extendsNode, path: path + ".extends", context: context)
        var baseName: String?
        var file: String?
        if case .mapping = extendsNode {
            for (key, field) in cursor.mapping() ?? [] {
                switch key {
                case "service": baseName = field.text()
                case "file": file = field.text()
                default: context.warning(field, "unsupported extends setting, ignored")
                }
            }
        } else {
            baseName = cursor.text()
        }
        context.unresolvedExtends.insert(path)
        guard let baseName else { context.error(cursor, "extends needs the service to extend"); return own }
        let here = context.source(of: extendsNode)
        let documentPath = file.map { Paths.resolve($0, in: here.folder) } ?? here.path
        let link = "\(documentPath)#\(baseName)"
        guard !chain.contains(link), chain.count < Self.maxDepth else {
            context.error(cursor, "extends cycle: \(([link] + chain).map { displayName($0) }.joined(separator: " <- "))")
            return own
        }
        let document: Node
        if let known = documents[documentPath] {
            document = known
        } else if let read = read(documentPath, folder: (documentPath as NSString).deletingLastPathComponent,
                                  variables: here.interpolator.variables, at: cursor) {
            document = read
        } else {
            return own
        }
        guard let services = NodeMerge.value(document, "services"), let base = NodeMerge.value(services, baseName) else {
            context.error(cursor, "extends names service \"\(baseName)\", which \(displayName(documentPath)) does not define")
            return own
        }
        let resolvedBase = resolveExtends(base, name: baseName, path: path, chain: chain + [link])
        if chain.isEmpty && !context.issues.contains(where: { $0.severity == .error && $0.path.hasPrefix(path + ".extends") }) {
            context.unresolvedExtends.remove(path)
        }
        return NodeMerge.service(resolvedBase, own)
    }

    // MARK: files

    /// Reads and parses a further file, tagged as its own source.
    private mutating func read(_ path: String, folder: String, variables: [String: String], at cursor: Cursor) -> Node? {
        if let known = documents[path] { return known }
        // Jarvis reads the file, not the engine: a file outside the stack's folder (another stack's, the host's) is host access.
        if !Paths.isInside(path, context.sources[0].folder) { context.hostAccess(cursor, "reads \(path), outside the stack's folder") }
        guard let data = FileManager.default.contents(atPath: path) else {
            context.error(cursor, "\(displayName(path)) does not exist")
            return nil
        }
        let name = displayName(path)
        do {
            guard let root = try Yams.compose(yaml: String(decoding: data, as: UTF8.self)) else {
                context.error(cursor, "\(name) is empty")
                return nil
            }
            let tagged = context.adopt(root, as: SourceFile(name: name, path: path, folder: folder, interpolator: Interpolator(variables)))
            documents[path] = tagged
            return tagged
        } catch let error as YamlError {
            let issue = ComposeLoader.issue(error, file: name)
            context.error(file: issue.file, line: issue.line, path: issue.path, issue.message)
            return nil
        } catch {
            context.error(cursor, "\(name): \(error)")
            return nil
        }
    }

    /// A file as issues name it: relative to the stack's folder when inside it.
    private func displayName(_ path: String) -> String {
        let root = context.sources[0].folder
        return path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }
}
