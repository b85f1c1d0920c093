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
        if !fields.contains(where: { $0.0 == "image" || $0.0 == "build" }) && !context.unresolvedExtends.contains(cursor.path) {
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
            if let policy = service.pullPolicy, !["always", "never", "missing", "if_not_present", "build"].contains(policy),
               PullPolicy.refreshInterval(policy) == nil {
                context.error(value, "pull_policy is always, never, missing, build, daily, weekly or every_<duration> (each number with its unit: every_12h, every_1h30m, every_2d), not \"\(policy)\"")
            }
        case "scale": service.replicas = replicas(value) ?? service.replicas
        case "profiles": service.profiles = value.strings() ?? []
        case "depends_on": service.dependsOn = dependencies(value)
        case "command": service.command = commandLine(value)
        case "entrypoint": service.entrypoint = commandLine(value)
        case "environment":
            for (name, entry) in value.keyValues() ?? [] {
                // A bare name takes its value from the project variables, else it stays unset.
                if let entry { explicitEnvironment[name] = entry } else if let inherited = value.variables[name] { explicitEnvironment[name] = inherited }
            }
        case "env_file": envFiles(value)
        case "labels": service.labels = value.stringMap()
        case "ports": service.ports = (value.list() ?? []).flatMap { ports($0) }
        case "expose": service.expose = expose(value)
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
        case "volumes_from":
            service.volumesFrom = value.strings() ?? []
        case "ipc", "pid", "uts", "userns_mode":
            let mode = value.text()
            switch key {
            case "ipc": service.ipc = mode
            case "pid": service.pid = mode
            case "uts": service.uts = mode
            default: service.usernsMode = mode
            }
            if mode == "host" { context.hostAccess(value, "uses the host's \(key == "userns_mode" ? "user" : key) namespace") }
        case "cgroup":
            service.cgroup = value.text()
            if let mode = service.cgroup, !["host", "private"].contains(mode) { context.error(value, "cgroup is host or private, not \"\(mode)\"") }
            if service.cgroup == "host" { context.hostAccess(value, "uses the host's cgroup namespace") }
        case "cgroup_parent":
            service.cgroupParent = value.text()
            if service.cgroupParent != nil { context.hostAccess(value, "places the container under the host cgroup \(service.cgroupParent!)") }
        case "runtime":
            service.runtime = value.text()
            if service.runtime != nil { context.hostAccess(value, "runs under the engine runtime \(service.runtime!)") }
        case "device_cgroup_rules":
            service.deviceCgroupRules = value.strings() ?? []
            if service.deviceCgroupRules?.isEmpty == false {
                context.hostAccess(value, "allows host devices by cgroup rule \(service.deviceCgroupRules!.joined(separator: ", "))")
            }
        case "healthcheck": service.healthcheck = healthcheck(value)
        case "restart":
            service.restart = value.text()
            if let policy = service.restart, !["no", "always", "unless-stopped", "on-failure"].contains(policy.split(separator: ":").first.map(String.init) ?? "") {
                context.error(value, "restart is no, always, unless-stopped or on-failure[:N], not \"\(policy)\"")
            }
        case "logging": service.logging = logging(value)
        case "ulimits": service.ulimits = ulimits(value)
        case "extra_hosts": service.extraHosts = extraHosts(value)
        case "dns": service.dns = value.strings() ?? []
        case "cap_add":
            service.capAdd = value.strings() ?? []
            let added = service.capAdd.filter { !EngineDefaults.isDefaultCapability($0) }
            if !added.isEmpty { context.hostAccess(value, "adds kernel capabilities \(added.joined(separator: ", "))") }
        case "cap_drop": service.capDrop = value.strings() ?? []
        case "security_opt":
            service.securityOpt = value.strings() ?? []
            let loosened = service.securityOpt.filter { !EngineDefaults.isHarmlessSecurityOption($0) }
            if !loosened.isEmpty { context.hostAccess(value, "changes security options \(loosened.joined(separator: ", "))") }
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
            service.devices = deviceEntries(value)
            if !service.devices.isEmpty { context.hostAccess(value, "passes host devices \(service.devices.joined(separator: ", "))") }
        case "sysctls":
            service.sysctls = value.stringMap()
            let global = service.sysctls.keys.sorted().filter { !EngineDefaults.isNamespacedSysctl($0) }
            if !global.isEmpty { context.hostAccess(value, "sets kernel parameters \(global.joined(separator: ", ")), which are not the container's own") }
        case "deploy": deploy(value, &service)
        case "cpus": service.resources.cpus = value.double()
        case "mem_limit": service.resources.memory = value.bytes()
        case "mem_reservation": service.resources.memoryReservation = value.bytes()
        case "pids_limit": service.resources.pids = value.int().map(Int64.init)
        case "secrets": service.secrets = fileReferences(value, defaultDirectory: "/run/secrets/")
        case "configs": service.configs = fileReferences(value, defaultDirectory: "/")
        case "post_start": service.postStart = hooks(value)
        case "pre_stop": service.preStop = hooks(value)
        // Jarvis never attaches to a service's output (logs are read from the engine), so `attach: false` changes nothing.
        case "attach": _ = value.bool()
        default:
            if applyEngineKey(key, value, to: &service) { return }
            if let reason = Self.notApplicable[key] { context.warning(value, "\(key) is not applied: \(reason)"); return }
            if !key.hasPrefix("x-") { context.warning(value, "unsupported service setting, ignored") }
        }
    }

    private func replicas(_ value: Cursor) -> Int? {
        guard let count = value.int() else { return nil }
        guard (0...100).contains(count) else { context.error(value, "replicas must be between 0 and 100"); return nil }
        return count
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

    func commandLine(_ value: Cursor) -> [String]? {
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
        struct Entry { let path: String; let required: Bool; let raw: Bool; let cursor: Cursor }
        let entries: [Entry]
        if case .sequence = value.node {
            entries = (value.list() ?? []).compactMap { item in
                if case .mapping = item.node {
                    var path: String?
                    var required = true
                    var raw = false
                    for (key, field) in item.mapping() ?? [] {
                        switch key {
                        case "path": path = field.text()
                        case "required": required = field.bool() ?? true
                        case "format":
                            guard let format = field.text() else { continue }
                            if format == "raw" { raw = true } else { context.error(field, "env_file format is raw (or left out), not \"\(format)\"") }
                        default: context.warning(field, "unsupported env_file setting, ignored")
                        }
                    }
                    return path.map { Entry(path: $0, required: required, raw: raw, cursor: item) }
                }
                return item.text().map { Entry(path: $0, required: true, raw: false, cursor: item) }
            }
        } else {
            entries = value.text().map { [Entry(path: $0, required: true, raw: false, cursor: value)] } ?? []
        }
        for entry in entries {
            let (path, cursor) = (entry.path, entry.cursor)
            guard let absolute = hostPath(path, cursor) else { continue }
            if !Paths.isInside(absolute, folder) { context.hostAccess(cursor, "reads env_file \(absolute), outside the stack's folder") }
            guard let data = FileManager.default.contents(atPath: absolute) else {
                if entry.required { context.error(cursor, "env_file \(path) does not exist") }
                continue
            }
            let text = String(decoding: data, as: UTF8.self)
            do {
                // Raw files are taken as written: no quotes, no comments after values, no interpolation.
                let pairs = entry.raw ? try EnvFile.parseRaw(text) : try EnvFile.parse(text, interpolating: cursor.variables)
                for (key, value) in pairs { envFileValues[key] = value }
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

    /// `expose` entries, ranges (`3000-3002`, `53/udp`) written out one port each.
    private func expose(_ value: Cursor) -> [String] {
        (value.list() ?? []).flatMap { item -> [String] in
            guard let entry = item.text() else { return [] }
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            let proto = parts.count > 1 ? "/" + parts[1] : ""
            guard let ports = parts.first.flatMap(Self.range) else {
                context.error(item, "invalid expose entry \"\(entry.prefix(80))\" (PORT or START-END, optionally /PROTOCOL)")
                return []
            }
            return ports.map { "\($0)\(proto)" }
        }
    }

    private func networks(_ value: Cursor) -> [String: ServiceNetwork] {
        value.namedEntries(ServiceNetwork()) { network, key, field in
            switch key {
            case "aliases": network.aliases = field.strings() ?? []
            case "ipv4_address": network.ipv4Address = field.text()
            case "ipv6_address": network.ipv6Address = field.text()
            case "link_local_ips": network.linkLocalIPs = field.strings() ?? []
            case "mac_address": network.macAddress = field.text()
            case "driver_opts": network.driverOpts = field.stringMap()
            case "gw_priority": network.gwPriority = field.int()
            case "interface_name": network.interfaceName = field.text()
            case "priority": network.priority = field.int()
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
                        case ("reservations", "devices"):
                            let requests = (setting.list() ?? []).compactMap { deviceRequest($0, impliedCapability: nil) }
                            var engine = service.engine ?? EngineSettings()
                            engine.deviceRequests = (engine.deviceRequests ?? []) + requests
                            service.engine = engine
                            if !requests.isEmpty { context.hostAccess(setting, "reserves host devices (\(requests.flatMap { $0.capabilities.joined() }.joined(separator: ", ")))") }
                        default: context.warning(setting, "unsupported resource setting, ignored")
                        }
                    }
                }
            case "restart_policy":
                // Compose v2 maps it onto the engine's policy: condition, and max_attempts as MaximumRetryCount.
                var condition = "any"
                var attempts: Int?
                for (name, setting) in field.mapping() ?? [] {
                    switch name {
                    case "condition": condition = setting.text() ?? condition
                    case "max_attempts":
                        attempts = setting.int()
                        if attempts.map({ $0 < 0 }) == true { context.error(setting, "max_attempts cannot be negative"); attempts = nil }
                    default: context.warning(setting, "deploy.restart_policy.\(name) applies to Swarm only, ignored")
                    }
                }
                guard let mapped = ["none": "no", "on-failure": "on-failure", "any": "always", "unless-stopped": "unless-stopped"][condition] else {
                    context.error(field, "restart_policy condition is none, on-failure or any, not \"\(condition)\"")
                    continue
                }
                if let attempts, attempts > 0, mapped != "on-failure" {
                    context.warning(field, "max_attempts only applies with condition on-failure; the engine retries \(mapped) forever")
                }
                if service.restart == nil {
                    service.restart = mapped == "on-failure" && (attempts ?? 0) > 0 ? "on-failure:\(attempts!)" : mapped
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
