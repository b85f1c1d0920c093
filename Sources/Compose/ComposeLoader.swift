import Foundation
import Yams

/// Reads a project folder: the Compose file, `.env`, `env_file`s, secrets and
/// configs files. Pure but for reading files; every finding is an issue with
/// file, line and key path. Errors make the load fail; warnings ride along.
public struct ComposeLoader: Sendable {
    public static let fileNames = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]

    public init() {}

    /// The Compose file of a folder, by order of preference.
    public static func composeFile(in folder: String) -> String? {
        fileNames.first { FileManager.default.fileExists(atPath: folder + "/" + $0) }
    }

    /// Loads `folder` as project `name`; `text` and `envText` stand in for the files (validation before saving).
    public func load(folder: String, name: String, text: String? = nil, fileName: String? = nil,
                     envText: String? = nil) throws -> ComposeProject {
        let file = fileName ?? Self.composeFile(in: folder) ?? "compose.yaml"
        let yaml: String
        if let text {
            yaml = text
        } else {
            guard let data = FileManager.default.contents(atPath: folder + "/" + file) else {
                throw ComposeError([ComposeIssue(.error, file: file, path: "", "no compose.yaml (or compose.yml, docker-compose.yaml, docker-compose.yml) in the stack folder")])
            }
            yaml = String(decoding: data, as: UTF8.self)
        }
        var variables: [String: String] = [:]
        let dotEnv = envText ?? FileManager.default.contents(atPath: folder + "/.env").map { String(decoding: $0, as: UTF8.self) }
        if let dotEnv {
            do {
                for (key, value) in try EnvFile.parse(dotEnv, interpolating: [:]) { variables[key] = value }
            } catch let error as EnvFile.LineError {
                throw ComposeError([ComposeIssue(.error, file: ".env", line: error.line, path: "", error.message)])
            }
        }
        return try parse(yaml, file: file, folder: folder, name: name, variables: variables)
    }

    /// Loads like `load`, but never throws a file's problems: errors, warnings and host access all come back.
    public func validate(folder: String, name: String, text: String? = nil, fileName: String? = nil, envText: String? = nil) -> ComposeValidation {
        do {
            let project = try load(folder: folder, name: name, text: text, fileName: fileName, envText: envText)
            return ComposeValidation(project: project, errors: [], warnings: project.warnings, hostAccess: project.hostAccess)
        } catch let error as ComposeError {
            return ComposeValidation(project: nil, errors: error.issues, warnings: error.warnings, hostAccess: error.hostAccess)
        } catch {
            return ComposeValidation(project: nil, errors: [ComposeIssue(.error, file: fileName ?? "compose.yaml", path: "", "\(error)")],
                                     warnings: [], hostAccess: [])
        }
    }

    /// Parses Compose YAML text with the given variables (the `.env` already read).
    public func parse(_ yaml: String, file: String, folder: String, name: String, variables: [String: String]) throws -> ComposeProject {
        let context = LoadContext(file: file, folder: folder, interpolator: Interpolator(variables))
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ComposeError([ComposeIssue(.error, file: file, line: 1, path: "", "the file is empty")])
            }
            root = node
        } catch let error as YamlError {
            throw ComposeError([Self.issue(error, file: file)])
        }
        var composition = Composition(context: context, root: root)
        let composed = composition.compose(root)
        var builder = ProjectBuilder(context: context, folder: folder, name: name, variables: variables)
        let project = builder.build(Cursor(node: composed, path: "", context: context))
        let errors = context.issues.filter { $0.severity == .error }
        guard errors.isEmpty, var project else {
            throw ComposeError(errors, warnings: context.issues.filter { $0.severity == .warning }, hostAccess: context.hostAccess)
        }
        project.configFiles = [folder + "/" + file]
        return project
    }

    static func issue(_ error: YamlError, file: String) -> ComposeIssue {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return ComposeIssue(.error, file: file, line: mark.line, column: mark.column, path: "", "invalid YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, _):
            return ComposeIssue(.error, file: file, path: "", "invalid YAML: duplicate keys \(duplicates.joined(separator: ", "))")
        default:
            return ComposeIssue(.error, file: file, path: "", "invalid YAML: \(error)")
        }
    }
}

/// Walks the document into the canonical model.
struct ProjectBuilder {
    let context: LoadContext
    let folder: String
    let name: String
    let variables: [String: String]

    init(context: LoadContext, folder: String, name: String, variables: [String: String]) {
        self.context = context
        self.folder = folder
        self.name = name
        self.variables = variables
    }

    mutating func build(_ root: Cursor) -> ComposeProject? {
        guard let top = root.mapping() else {
            context.error(root, "a Compose file is a mapping with a services key")
            return nil
        }
        var project = ComposeProject(name: name, workingDir: folder, configFiles: [], services: [:], disabledServices: [],
                                     networks: [:], volumes: [:], secrets: [:], configs: [:], warnings: [])
        var servicesCursor: Cursor?
        for (key, value) in top {
            switch key {
            case "services": servicesCursor = value
            case "networks": project.networks = definitions(value) { self.network($0, $1) }
            case "volumes": project.volumes = definitions(value) { self.volume($0, $1) }
            case "secrets": project.secrets = definitions(value) { self.fileObject($0, $1, kind: "secret") }
            case "configs": project.configs = definitions(value) { self.fileObject($0, $1, kind: "config") }
            case "version": context.warning(value, "version is obsolete and ignored")
            case "name":
                guard let given = value.text() else { continue }
                project.declaredName = given
                if !Self.validProjectName(given) {
                    context.error(value, "\"\(given.prefix(80))\" is not a project name: lowercase letters, digits, '-' and '_', starting with a letter or digit")
                } else if given != name {
                    // Jarvis finds a stack's containers by the folder's name; see docs/compose.md.
                    context.warning(value, "the project is named after its stack folder (\(name)), not \"\(given)\": "
                                    + "rename the folder to \(given) for docker compose and Jarvis to share the containers")
                }
            default:
                if !key.hasPrefix("x-") { context.warning(value, "unknown top-level key, ignored") }
            }
        }
        guard let servicesCursor, let services = servicesCursor.mapping(), !services.isEmpty else {
            context.error(servicesCursor ?? root, "the file defines no services")
            return nil
        }
        let profiles = Set((variables["COMPOSE_PROFILES"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        for (serviceName, cursor) in services {
            guard ServiceBuilder.validName(serviceName) else {
                context.error(cursor, "invalid service name (letters, digits, '.', '_', '-')")
                continue
            }
            var builder = ServiceBuilder(context: context, folder: folder, variables: variables)
            guard let service = builder.build(serviceName, cursor) else { continue }
            if service.profiles.isEmpty || !profiles.isDisjoint(with: service.profiles) {
                project.services[serviceName] = service
            } else {
                project.disabledServices.append(serviceName)
            }
        }
        project.disabledServices.sort()
        // A service that joins or borrows from another starts after it, as compose-go's normalisation has it.
        for name in project.services.keys.sorted() {
            for reference in ServiceReferences.services(of: project.services[name]!, in: project) where project.services[name]!.dependsOn[reference] == nil {
                project.services[name]!.dependsOn[reference] = Dependency()
            }
            // A link names a service that must exist first, as compose-go makes it an implicit dependency.
            for link in project.services[name]!.engine?.links ?? [] {
                let linked = String(link.split(separator: ":").first ?? "")
                if project.services[linked] != nil && project.services[name]!.dependsOn[linked] == nil {
                    project.services[name]!.dependsOn[linked] = Dependency()
                }
            }
        }
        if project.services.values.contains(where: { $0.networkMode == nil && $0.networks.isEmpty }) || project.networks["default"] != nil {
            project.networks["default"] = project.networks["default"] ?? NetworkDefinition(name: "\(name)_default")
        }
        ProjectValidator(context: context, project: project, servicesCursor: servicesCursor).validate()
        project.warnings = context.issues.filter { $0.severity == .warning }
        project.hostAccess = context.hostAccess
        return project
    }

    /// Compose's rule for project names.
    static func validProjectName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) || ("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    /// `external: true`, or the older `external: {name: x}` (compose-go still reads it, with a warning).
    private func external(_ value: Cursor, name: inout String?) -> Bool {
        guard case .mapping = value.node else { return value.bool() ?? false }
        for (field, setting) in value.mapping() ?? [] {
            if field == "name" {
                name = setting.text()
                context.warning(value, "external.name is deprecated: write name: \(name ?? "") beside external: true")
            } else {
                context.warning(setting, "unsupported external setting, ignored")
            }
        }
        return true
    }

    private func definitions<T>(_ cursor: Cursor, _ make: (String, Cursor) -> T?) -> [String: T] {
        var result: [String: T] = [:]
        for (key, value) in cursor.mapping() ?? [] {
            if let item = make(key, value) { result[key] = item }
        }
        return result
    }

    private func network(_ key: String, _ cursor: Cursor) -> NetworkDefinition? {
        var network = NetworkDefinition(name: "\(name)_\(key)")
        var namedNetwork = false
        for (field, value) in cursor.mapping() ?? [] {
            switch field {
            case "name": network.name = value.text() ?? network.name; namedNetwork = true
            case "external":
                var externalName: String?
                network.external = external(value, name: &externalName)
                if let externalName { network.name = externalName; namedNetwork = true }
            case "driver": network.driver = value.text()
            case "driver_opts": network.driverOpts = value.stringMap()
            case "labels": network.labels = value.stringMap()
            case "internal": network.isInternal = value.bool() ?? false
            case "attachable": network.attachable = value.bool() ?? false
            case "enable_ipv6": network.enableIPv6 = value.bool() ?? false
            case "enable_ipv4": network.enableIPv4 = value.bool()
            case "ipam":
                for (ipamKey, ipamValue) in value.mapping() ?? [] {
                    guard ipamKey == "config" else {
                        switch ipamKey {
                        case "driver": network.ipamDriver = ipamValue.text()
                        case "options": network.ipamOptions = ipamValue.stringMap()
                        default: context.warning(ipamValue, "unsupported IPAM setting, ignored")
                        }
                        continue
                    }
                    for pool in ipamValue.list() ?? [] {
                        var entry = IPAMPool()
                        for (poolKey, poolValue) in pool.mapping() ?? [] {
                            switch poolKey {
                            case "subnet": entry.subnet = poolValue.text()
                            case "gateway": entry.gateway = poolValue.text()
                            case "ip_range": entry.ipRange = poolValue.text()
                            case "aux_addresses": entry.auxAddresses = poolValue.stringMap()
                            default: context.warning(poolValue, "unsupported IPAM setting, ignored")
                            }
                        }
                        network.subnets.append(entry)
                    }
                }
            default:
                if !field.hasPrefix("x-") { context.warning(value, "unsupported network setting, ignored") }
            }
        }
        if network.external, !namedNetwork { network.name = key }
        // The engine's network called host is the host's own stack: joining it is network_mode: host by another name.
        if network.name == "host" {
            let fields = cursor.mapping() ?? []
            context.hostAccess((fields.first { $0.0 == "name" } ?? fields.first { $0.0 == "external" })?.1 ?? cursor,
                               "is the engine's host network: a service joining it uses the host's network stack")
        }
        return network
    }

    private func volume(_ key: String, _ cursor: Cursor) -> VolumeDefinition? {
        var volume = VolumeDefinition(name: "\(name)_\(key)")
        var named = false
        for (field, value) in cursor.mapping() ?? [] {
            switch field {
            case "name": volume.name = value.text() ?? volume.name; named = true
            case "external":
                var externalName: String?
                volume.external = external(value, name: &externalName)
                if let externalName { volume.name = externalName; named = true }
            case "driver": volume.driver = value.text()
            case "driver_opts": volume.driverOpts = value.stringMap()
            case "labels": volume.labels = value.stringMap()
            default:
                if !field.hasPrefix("x-") { context.warning(value, "unsupported volume setting, ignored") }
            }
        }
        if volume.external, !named { volume.name = key }
        reportHostAccess(volume, cursor)
        return volume
    }

    /// A volume whose driver binds a host path (`type: none`, `o: bind`, a `device`) is a bind mount in
    /// disguise; another driver than `local` can reach whatever its plugin reaches.
    private func reportHostAccess(_ volume: VolumeDefinition, _ cursor: Cursor) {
        guard !volume.external else { return }
        let fields = cursor.mapping() ?? []
        let at = { (key: String) in fields.first { $0.0 == key }?.1 ?? cursor }
        if let driver = volume.driver, driver != "local" {
            context.hostAccess(at("driver"), "uses the volume driver \(driver), which reaches past the engine's own storage")
        }
        let options = volume.driverOpts
        let binds = options["type"] == "none" || (options["o"] ?? "").split(separator: ",").contains("bind")
        if binds || options["device"] != nil {
            let device = options["device"].map { " \($0)" } ?? ""
            context.hostAccess(at("driver_opts"), "mounts the host device or path\(device) through its driver options")
        }
    }

    private func fileObject(_ key: String, _ cursor: Cursor, kind: String) -> FileObject? {
        var object = FileObject()
        for (field, value) in cursor.mapping() ?? [] {
            switch field {
            case "file":
                guard let path = value.text() else { continue }
                let absolute = Paths.resolve(path, in: value.folder)
                if !FileManager.default.fileExists(atPath: absolute) { context.error(value, "\(kind) file \(path) does not exist") }
                if !Paths.isInside(absolute, folder) { context.hostAccess(value, "mounts the host file \(absolute), outside the stack's folder") }
                object.file = absolute
            case "content" where kind == "config": object.content = value.text()
            case "environment":
                guard let variable = value.text() else { continue }
                if value.variables[variable] == nil { context.error(value, "variable \(variable) is not set in .env") }
                object.environment = variable
                object.content = value.variables[variable]
            case "external":
                var externalName: String?
                if external(value, name: &externalName) { object.unavailable = "is external (kept by Swarm)" }
            case "driver": object.unavailable = "needs the driver \(value.text() ?? "")"
            case "template_driver": object.unavailable = "needs the template driver \(value.text() ?? "")"
            case "name", "labels", "driver_opts": break
            default:
                if !field.hasPrefix("x-") { context.warning(value, "unsupported \(kind) setting, ignored") }
            }
        }
        // The engine alone cannot provide it; only a service that uses it is refused (ProjectValidator).
        if let reason = object.unavailable {
            object.unavailable = reason + ": the engine cannot provide it without Swarm"
            return object
        }
        if object.file == nil && object.content == nil && object.environment == nil {
            context.error(cursor, "a \(kind) needs file\(kind == "config" ? ", content" : "") or environment")
        }
        return object
    }
}

/// Paths of a project's files; also what the stacks folder checks its own paths with.
public enum Paths {
    /// A path from the file, absolute against the project folder; `..` is allowed (Compose allows it).
    static func resolve(_ path: String, in folder: String) -> String {
        if path.hasPrefix("/") { return (path as NSString).standardizingPath }
        return ((folder + "/" + path) as NSString).standardizingPath
    }

    /// True when `path` stays inside `folder`, both as written and once links that exist are followed.
    static func isInside(_ path: String, _ folder: String) -> Bool {
        let base = (folder as NSString).standardizingPath
        func within(_ candidate: String, _ root: String) -> Bool { candidate == root || candidate.hasPrefix(root + "/") }
        guard within(path, base) else { return false }
        // A link inside the folder (made by a container that bind-mounts it) could point anywhere.
        guard let resolvedBase = realPath(base) else { return true }
        var existing = path
        while realPath(existing) == nil && existing != base { existing = (existing as NSString).deletingLastPathComponent }
        guard let resolved = realPath(existing) else { return true }
        return within(resolved, resolvedBase)
    }

    /// The path with every link followed, or nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
