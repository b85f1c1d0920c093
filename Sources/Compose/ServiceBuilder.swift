import Foundation

/// One `services.<name>` entry into a `ComposeService`.
struct ServiceBuilder {
    let context: LoadContext
    let folder: String
    let variables: [String: String]
    private var envFileValues: [String: String] = [:]
    private var explicitEnvironment: [String: String] = [:]

    init(context: LoadContext, folder: String, variables: [String: String]) {
        self.context = context
        self.folder = folder
        self.variables = variables
    }

    static func validName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber else { return false }
        return name.count <= 63 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    mutating func build(_ name: String, _ cursor: Cursor) -> ComposeService? {
        guard let fields = cursor.mapping() else {
            if cursor.isNull { context.error(cursor, "the service is empty: give it an image or a build") }
            return nil
        }
        var service = ComposeService(name: name)
        for (key, value) in fields {
            apply(key, value, to: &service)
        }
        var environment = envFileValues
        for (key, value) in explicitEnvironment { environment[key] = value }
        service.environment = environment
        if !fields.contains(where: { $0.0 == "image" || $0.0 == "build" }) {
            context.error(cursor, "the service needs an image or a build")
        }
        return service
    }

    private mutating func apply(_ key: String, _ value: Cursor, to service: inout ComposeService) {
        switch key {
        case "image": service.image = value.text()
        case "build": service.build = build(value)
        case "pull_policy":
            service.pullPolicy = value.text()
            if let policy = service.pullPolicy, !["always", "never", "missing", "if_not_present", "build"].contains(policy) {
                context.error(value, "pull_policy is always, never, missing or build, not \"\(policy)\"")
            }
        case "scale": service.replicas = replicas(value) ?? service.replicas
        case "profiles": service.profiles = value.strings() ?? []
        case "depends_on": service.dependsOn = dependencies(value)
        case "command": service.command = commandLine(value)
        case "entrypoint": service.entrypoint = commandLine(value)
        case "environment":
            for (name, entry) in value.keyValues() ?? [] {
                // A bare name takes its value from the project variables, else it stays unset.
                if let entry { explicitEnvironment[name] = entry } else if let inherited = variables[name] { explicitEnvironment[name] = inherited }
            }
        case "env_file": envFiles(value)
        case "labels": service.labels = value.stringMap()
        case "ports": service.ports = (value.list() ?? []).flatMap { ports($0) }
        case "expose": service.expose = value.strings() ?? []
        case "volumes":
            service.volumes = (value.list() ?? []).compactMap { item in
                let mount = mount(item)
                if let mount, mount.kind == .bind, let source = mount.source, !Paths.isInside(source, folder) {
                    context.hostAccess(item, "bind-mounts the host path \(source)")
                }
                return mount
            }
        case "tmpfs": service.tmpfs = value.strings() ?? []
        case "networks": service.networks = networks(value)
        case "network_mode":
            service.networkMode = value.text()
            if service.networkMode == "host" { context.hostAccess(value, "uses the host's network stack") }
        case "healthcheck": service.healthcheck = healthcheck(value)
        case "restart":
            service.restart = value.text()
            if let policy = service.restart, !["no", "always", "unless-stopped", "on-failure"].contains(policy.split(separator: ":").first.map(String.init) ?? "") {
                context.error(value, "restart is no, always, unless-stopped or on-failure[:N], not \"\(policy)\"")
            }
        case "logging": service.logging = logging(value)
        case "ulimits": service.ulimits = ulimits(value)
        case "extra_hosts":
            service.extraHosts = (value.keyValues(separator: "=") ?? []).compactMap { host, address in
                if let address { return "\(host):\(address)" }
                // The list form is "host:ip" (the ip may hold colons).
                guard let colon = host.firstIndex(of: ":") else { context.error(value, "extra_hosts entry \"\(host)\" needs host:ip"); return nil }
                return "\(host[..<colon]):\(host[host.index(after: colon)...])"
            }
        case "dns": service.dns = value.strings() ?? []
        case "cap_add":
            service.capAdd = value.strings() ?? []
            if !service.capAdd.isEmpty { context.hostAccess(value, "adds kernel capabilities \(service.capAdd.joined(separator: ", "))") }
        case "cap_drop": service.capDrop = value.strings() ?? []
        case "security_opt":
            service.securityOpt = value.strings() ?? []
            if !service.securityOpt.isEmpty { context.hostAccess(value, "changes security options \(service.securityOpt.joined(separator: ", "))") }
        case "privileged":
            service.privileged = value.bool() ?? false
            if service.privileged { context.hostAccess(value, "runs privileged: every host device and capability") }
        case "read_only": service.readOnly = value.bool() ?? false
        case "init": service.initProcess = value.bool()
        case "tty": service.tty = value.bool() ?? false
        case "stdin_open": service.stdinOpen = value.bool() ?? false
        case "user": service.user = value.text()
        case "working_dir": service.workingDir = value.text()
        case "hostname": service.hostname = value.text()
        case "domainname": service.domainname = value.text()
        case "container_name": service.containerName = value.text()
        case "stop_grace_period": service.stopGracePeriod = value.duration()
        case "stop_signal": service.stopSignal = value.text()
        case "shm_size": service.shmSize = value.bytes()
        case "devices":
            service.devices = value.strings() ?? []
            if !service.devices.isEmpty { context.hostAccess(value, "passes host devices \(service.devices.joined(separator: ", "))") }
        case "sysctls": service.sysctls = value.stringMap()
        case "deploy": deploy(value, &service)
        case "cpus": service.resources.cpus = value.double()
        case "mem_limit": service.resources.memory = value.bytes()
        case "mem_reservation": service.resources.memoryReservation = value.bytes()
        case "pids_limit": service.resources.pids = value.int().map(Int64.init)
        case "secrets": service.secrets = fileReferences(value, defaultDirectory: "/run/secrets/")
        case "configs": service.configs = fileReferences(value, defaultDirectory: "/")
        default:
            if !key.hasPrefix("x-") { context.warning(value, "unsupported service setting, ignored") }
        }
    }

    private func replicas(_ value: Cursor) -> Int? {
        guard let count = value.int() else { return nil }
        guard (0...100).contains(count) else { context.error(value, "replicas must be between 0 and 100"); return nil }
        return count
    }

    private func build(_ value: Cursor) -> BuildSpec? {
        if case .scalar = value.node {
            guard let context = value.text() else { return nil }
            return BuildSpec(context: resolveContext(context, value))
        }
        var spec = BuildSpec(context: folder)
        for (key, field) in value.mapping() ?? [] {
            switch key {
            case "context": spec.context = field.text().map { resolveContext($0, field) } ?? folder
            case "dockerfile": spec.dockerfile = field.text()
            case "args": spec.args = field.stringMap()
            case "target": spec.target = field.text()
            case "no_cache": spec.noCache = field.bool() ?? false
            case "pull": spec.pull = field.bool() ?? false
            default:
                if !key.hasPrefix("x-") { context.warning(field, "unsupported build setting, ignored") }
            }
        }
        return spec
    }

    private func resolveContext(_ context: String, _ cursor: Cursor) -> String {
        let remote = ["https://", "http://", "git://", "git@", "github.com/"].contains { context.hasPrefix($0) }
        if remote { return context }
        let path = Paths.resolve(context, in: folder)
        if !Paths.isInside(path, folder) { self.context.hostAccess(cursor, "builds from the host folder \(path), outside the stack's folder") }
        return path
    }

    private func dependencies(_ value: Cursor) -> [String: Dependency] {
        value.namedEntries(Dependency()) { dependency, key, field in
            switch key {
            case "condition":
                guard let text = field.text() else { return }
                guard let condition = Dependency.Condition(rawValue: text) else {
                    context.error(field, "condition is service_started, service_healthy or service_completed_successfully, not \"\(text)\"")
                    return
                }
                dependency.condition = condition
            case "restart": dependency.restart = field.bool() ?? false
            case "required": dependency.required = field.bool() ?? true
            default: context.warning(field, "unsupported depends_on setting, ignored")
            }
        }
    }

    private func commandLine(_ value: Cursor) -> [String]? {
        if case .scalar = value.node {
            guard let line = value.text() else { return nil }
            guard let words = ShellSplit.words(line) else {
                context.error(value, "unbalanced quotes in \"\(line.prefix(80))\"")
                return nil
            }
            return words
        }
        return value.list()?.compactMap { $0.text() }
    }

    private mutating func envFiles(_ value: Cursor) {
        let entries: [(String, Bool, Cursor)]
        if case .sequence = value.node {
            entries = (value.list() ?? []).compactMap { item in
                if case .mapping = item.node {
                    var path: String?
                    var required = true
                    for (key, field) in item.mapping() ?? [] {
                        if key == "path" { path = field.text() } else if key == "required" { required = field.bool() ?? true }
                    }
                    return path.map { ($0, required, item) }
                }
                return item.text().map { ($0, true, item) }
            }
        } else {
            entries = value.text().map { [($0, true, value)] } ?? []
        }
        for (path, required, cursor) in entries {
            let absolute = Paths.resolve(path, in: folder)
            if !Paths.isInside(absolute, folder) { context.hostAccess(cursor, "reads env_file \(absolute), outside the stack's folder") }
            guard let data = FileManager.default.contents(atPath: absolute) else {
                if required { context.error(cursor, "env_file \(path) does not exist") }
                continue
            }
            do {
                for (key, entry) in try EnvFile.parse(String(decoding: data, as: UTF8.self), interpolating: variables) {
                    envFileValues[key] = entry
                }
            } catch let error as EnvFile.LineError {
                context.error(cursor, "env_file \(path) line \(error.line): \(error.message)")
            } catch {
                context.error(cursor, "env_file \(path): \(error)")
            }
        }
    }

    private func ports(_ value: Cursor) -> [PortMapping] {
        if case .mapping = value.node {
            var mapping = PortMapping(target: 0)
            for (key, field) in value.mapping() ?? [] {
                switch key {
                case "target": mapping.target = field.int() ?? 0
                case "published": mapping.published = field.text()
                case "host_ip": mapping.hostIP = field.text()
                case "protocol": mapping.proto = field.text() ?? "tcp"
                case "mode", "name", "app_protocol": break
                default: context.warning(field, "unsupported port setting, ignored")
                }
            }
            guard Self.validPort(mapping.target), mapping.published.map(Self.validPublished) ?? true,
                  ["tcp", "udp", "sctp"].contains(mapping.proto) else {
                context.error(value, "invalid port mapping")
                return []
            }
            return [mapping]
        }
        guard let text = value.text() else { return [] }
        guard let mappings = Self.parsePorts(text) else {
            context.error(value, "invalid port \"\(text.prefix(80))\"")
            return []
        }
        return mappings
    }

    /// `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTO]`.
    static func parsePorts(_ text: String) -> [PortMapping]? {
        var spec = Substring(text)
        var proto = "tcp"
        if let slash = spec.lastIndex(of: "/") {
            proto = String(spec[spec.index(after: slash)...]).lowercased()
            spec = spec[..<slash]
            guard ["tcp", "udp", "sctp"].contains(proto) else { return nil }
        }
        var hostIP: String?
        if spec.hasPrefix("["), let close = spec.firstIndex(of: "]") {
            hostIP = String(spec[spec.index(after: spec.startIndex)..<close])
            spec = spec[spec.index(after: close)...]
            guard spec.hasPrefix(":") else { return nil }
            spec = spec.dropFirst()
        }
        var parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 3 {
            guard hostIP == nil else { return nil }
            hostIP = parts.removeFirst()
        }
        guard (1...2).contains(parts.count) else { return nil }
        let published = parts.count == 2 ? parts[0] : nil
        guard let targets = range(parts.last!) else { return nil }
        if let published, !published.isEmpty {
            guard let hosts = range(published) else { return nil }
            if hosts.count == targets.count && targets.count > 1 {
                return zip(hosts, targets).map { PortMapping(target: $1, published: String($0), hostIP: hostIP, proto: proto) }
            }
            guard targets.count == 1 else { return nil }
            return [PortMapping(target: targets[0], published: published, hostIP: hostIP, proto: proto)]
        }
        return targets.map { PortMapping(target: $0, published: nil, hostIP: hostIP, proto: proto) }
    }

    private static func range(_ text: String) -> [Int]? {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard bounds.allSatisfy({ $0.map(validPort) ?? false }) else { return nil }
        if bounds.count == 1 { return [bounds[0]!] }
        guard bounds.count == 2, bounds[0]! <= bounds[1]!, bounds[1]! - bounds[0]! < 1000 else { return nil }
        return Array(bounds[0]!...bounds[1]!)
    }

    private static func validPort(_ port: Int) -> Bool { (1...65535).contains(port) }
    private static func validPublished(_ text: String) -> Bool { text.isEmpty || range(text) != nil }

    private func mount(_ value: Cursor) -> ServiceMount? {
        if case .mapping = value.node {
            var mount = ServiceMount(kind: .volume, source: nil, target: "")
            for (key, field) in value.mapping() ?? [] {
                switch key {
                case "type":
                    guard let text = field.text() else { continue }
                    guard let kind = ServiceMount.Kind(rawValue: text) else {
                        context.error(field, "volume type is volume, bind or tmpfs, not \"\(text)\"")
                        return nil
                    }
                    mount.kind = kind
                case "source": mount.source = field.text()
                case "target": mount.target = field.text() ?? ""
                case "read_only": mount.readOnly = field.bool() ?? false
                case "bind":
                    for (option, setting) in field.mapping() ?? [] {
                        if option == "create_host_path" { mount.createHostPath = setting.bool() ?? true } else if option != "propagation" && option != "selinux" {
                            context.warning(setting, "unsupported bind setting, ignored")
                        }
                    }
                case "volume":
                    for (option, setting) in field.mapping() ?? [] {
                        if option == "nocopy" { mount.noCopy = setting.bool() ?? false } else { context.warning(setting, "unsupported volume setting, ignored") }
                    }
                case "tmpfs":
                    for (option, setting) in field.mapping() ?? [] {
                        if option == "size" { mount.tmpfsSize = setting.bytes() } else if option != "mode" { context.warning(setting, "unsupported tmpfs setting, ignored") }
                    }
                case "consistency": break
                default: context.warning(field, "unsupported mount setting, ignored")
                }
            }
            guard mount.target.hasPrefix("/") else { context.error(value, "a mount needs an absolute target"); return nil }
            if mount.kind == .bind, let source = mount.source { mount.source = Paths.resolve(source, in: folder) }
            if mount.kind == .bind && mount.source == nil { context.error(value, "a bind mount needs a source"); return nil }
            return mount
        }
        guard let text = value.text() else { return nil }
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var mode: [String] = []
        if parts.count == 3 { mode = parts.removeLast().split(separator: ",").map(String.init) }
        guard (1...2).contains(parts.count), parts.last!.hasPrefix("/") else {
            context.error(value, "invalid volume \"\(text.prefix(80))\" (SOURCE:TARGET[:MODE] with an absolute TARGET)")
            return nil
        }
        let target = parts.last!
        let readOnly = mode.contains("ro")
        let noCopy = mode.contains("nocopy")
        guard parts.count == 2, !parts[0].isEmpty else {
            return ServiceMount(kind: .volume, source: nil, target: target, readOnly: readOnly)
        }
        let source = parts[0]
        if source.hasPrefix(".") || source.hasPrefix("/") || source.hasPrefix("~") {
            if source.hasPrefix("~") { context.error(value, "~ paths are not supported: Jarvis has no home folder to expand; use an absolute path"); return nil }
            return ServiceMount(kind: .bind, source: Paths.resolve(source, in: folder), target: target, readOnly: readOnly)
        }
        return ServiceMount(kind: .volume, source: source, target: target, readOnly: readOnly, noCopy: noCopy)
    }

    private func networks(_ value: Cursor) -> [String: ServiceNetwork] {
        value.namedEntries(ServiceNetwork()) { network, key, field in
            switch key {
            case "aliases": network.aliases = field.strings() ?? []
            case "ipv4_address": network.ipv4Address = field.text()
            case "ipv6_address": network.ipv6Address = field.text()
            case "priority": break
            default: context.warning(field, "unsupported network attachment setting, ignored")
            }
        }
    }

    private func healthcheck(_ value: Cursor) -> Healthcheck? {
        var check = Healthcheck()
        for (key, field) in value.mapping() ?? [] {
            switch key {
            case "test":
                if case .scalar = field.node {
                    check.test = field.text().map { ["CMD-SHELL", $0] }
                } else {
                    let words = field.strings() ?? []
                    guard let first = words.first, ["NONE", "CMD", "CMD-SHELL"].contains(first) else {
                        context.error(field, "a test list starts with CMD, CMD-SHELL or NONE")
                        continue
                    }
                    check.test = words
                }
            case "interval": check.interval = field.duration()
            case "timeout": check.timeout = field.duration()
            case "retries": check.retries = field.int()
            case "start_period": check.startPeriod = field.duration()
            case "start_interval": check.startInterval = field.duration()
            case "disable": if field.bool() == true { check.test = ["NONE"] }
            default: context.warning(field, "unsupported healthcheck setting, ignored")
            }
        }
        return check
    }

    private func logging(_ value: Cursor) -> Logging? {
        var logging = Logging()
        for (key, field) in value.mapping() ?? [] {
            switch key {
            case "driver": logging.driver = field.text()
            case "options": logging.options = field.stringMap()
            default: context.warning(field, "unsupported logging setting, ignored")
            }
        }
        return logging
    }

    private func ulimits(_ value: Cursor) -> [String: Ulimit] {
        var result: [String: Ulimit] = [:]
        for (name, entry) in value.mapping() ?? [] {
            if case .scalar = entry.node {
                if let limit = entry.int() { result[name] = Ulimit(soft: Int64(limit), hard: Int64(limit)) }
                continue
            }
            var soft: Int?
            var hard: Int?
            for (key, field) in entry.mapping() ?? [] {
                if key == "soft" { soft = field.int() } else if key == "hard" { hard = field.int() } else { context.warning(field, "unsupported ulimit setting, ignored") }
            }
            guard let soft, let hard else { context.error(entry, "a ulimit needs soft and hard"); continue }
            result[name] = Ulimit(soft: Int64(soft), hard: Int64(hard))
        }
        return result
    }

    private func deploy(_ value: Cursor, _ service: inout ComposeService) {
        for (key, field) in value.mapping() ?? [] {
            switch key {
            case "replicas": service.replicas = replicas(field) ?? service.replicas
            case "resources":
                for (kind, limits) in field.mapping() ?? [] {
                    for (name, setting) in limits.mapping() ?? [] {
                        switch (kind, name) {
                        case ("limits", "cpus"): service.resources.cpus = setting.double()
                        case ("limits", "memory"): service.resources.memory = setting.bytes()
                        case ("limits", "pids"): service.resources.pids = setting.int().map(Int64.init)
                        case ("reservations", "cpus"): service.resources.cpusReservation = setting.double()
                        case ("reservations", "memory"): service.resources.memoryReservation = setting.bytes()
                        default: context.warning(setting, "unsupported resource setting, ignored")
                        }
                    }
                }
            case "restart_policy":
                for (name, setting) in field.mapping() ?? [] where name == "condition" {
                    let mapped = ["none": "no", "on-failure": "on-failure", "any": "always"][setting.text() ?? ""]
                    if service.restart == nil { service.restart = mapped }
                }
            default:
                context.warning(field, "deploy.\(key) applies to Swarm only, ignored")
            }
        }
    }

    private func fileReferences(_ value: Cursor, defaultDirectory: String) -> [FileReference] {
        (value.list() ?? []).compactMap { item in
            if case .scalar = item.node {
                return item.text().map { FileReference(source: $0, target: defaultDirectory + $0) }
            }
            var source: String?
            var target: String?
            for (key, field) in item.mapping() ?? [] {
                switch key {
                case "source": source = field.text()
                case "target": target = field.text()
                case "uid", "gid", "mode": context.warning(field, "\(key) is not supported for bind-mounted files, ignored")
                default: context.warning(field, "unsupported setting, ignored")
                }
            }
            guard let source else { context.error(item, "needs a source"); return nil }
            let path = target.map { $0.hasPrefix("/") ? $0 : defaultDirectory + $0 } ?? defaultDirectory + source
            return FileReference(source: source, target: path)
        }
    }
}
