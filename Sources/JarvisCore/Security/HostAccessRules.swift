import Compose
import Foundation

/// The allow-list of what an operator may send to an engine. Each judge
/// returns findings ("HostConfig.Privileged: a privileged container"); none
/// means allowed. A key the list does not know is a finding when set.
struct HostAccessRules: Sendable {
    let actor: EngineActor
    let references: any HostReferences
    /// Realpath of the deepest existing part of a path, the rest appended: what the engine will mount.
    var resolve: @Sendable (String) -> String = HostAccessRules.resolveExisting

    func judge(_ request: JudgedRequest) async throws -> [String] {
        switch request {
        case let .container(body): return try await container(body)
        case let .update(body): return unknownKeys(body, allowed: Self.resourceKeys.union(["RestartPolicy"]), in: "")
            + refuseSet(body, ["Devices", "DeviceCgroupRules", "DeviceRequests", "CgroupParent"], in: "")
        case let .exec(body):
            return unknownKeys(body, allowed: Self.execKeys, in: "")
                + (JSON.bool(body["Privileged"]) ? ["Privileged: a privileged exec"] : [])
        case let .volume(body): return volumeCreate(body)
        case let .network(body): return networkCreate(body)
        case let .connect(network): return try await networkName(network, at: "network")
        case let .build(query): return build(query)
        case let .adminOnly(path): return ["\(path): swarm, plugins and build sessions"]
        }
    }

    // MARK: containers

    static let configKeys: Set<String> = [
        "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr", "ExposedPorts", "Tty", "OpenStdin",
        "StdinOnce", "Env", "Cmd", "Healthcheck", "ArgsEscaped", "Image", "Volumes", "WorkingDir", "Entrypoint",
        "NetworkDisabled", "MacAddress", "OnBuild", "Labels", "StopSignal", "StopTimeout", "Shell", "HostConfig", "NetworkingConfig",
    ]
    static let resourceKeys: Set<String> = [
        "CpuShares", "Memory", "BlkioWeight", "BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps",
        "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "CpuPeriod", "CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime",
        "CpusetCpus", "CpusetMems", "KernelMemory", "KernelMemoryTCP", "MemoryReservation", "MemorySwap", "MemorySwappiness",
        "NanoCpus", "OomKillDisable", "Init", "PidsLimit", "Ulimits", "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth",
        // Judged below when set; listed so that they are not "unknown".
        "Devices", "DeviceCgroupRules", "DeviceRequests", "CgroupParent",
    ]
    /// HostConfig keys that cannot reach the host whatever their value.
    static let plainHostKeys: Set<String> = [
        "PortBindings", "RestartPolicy", "AutoRemove", "ConsoleSize", "CapDrop", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts",
        "GroupAdd", "Links", "OomScoreAdj", "PublishAllPorts", "ReadonlyRootfs", "StorageOpt", "Tmpfs", "ShmSize", "Isolation",
    ]
    /// HostConfig keys judged one by one in `hostConfig`.
    static let judgedHostKeys: Set<String> = [
        "Binds", "Mounts", "VolumesFrom", "VolumeDriver", "NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode",
        "CgroupnsMode", "Cgroup", "Privileged", "CapAdd", "SecurityOpt", "Sysctls", "Runtime", "LogConfig", "ContainerIDFile",
        "MaskedPaths", "ReadonlyPaths", "Annotations",
    ]
    static let execKeys: Set<String> = ["AttachStdin", "AttachStdout", "AttachStderr", "ConsoleSize", "DetachKeys", "Tty", "Env",
                                        "Cmd", "Privileged", "User", "WorkingDir"]
    static let logDrivers: Set<String> = ["", "json-file", "local", "none", "journald"]

    func container(_ body: [String: Any]) async throws -> [String] {
        var findings = unknownKeys(body, allowed: Self.configKeys, in: "")
        findings += composeLabels(JSON.object(body["Labels"]))
        let host = JSON.object(body["HostConfig"])
        findings += try await hostConfig(host)
        for name in JSON.object(JSON.object(body["NetworkingConfig"])["EndpointsConfig"]).keys.sorted() {
            findings += try await networkName(name, at: "NetworkingConfig.EndpointsConfig.\(name)")
        }
        return findings
    }

    func hostConfig(_ host: [String: Any]) async throws -> [String] {
        var findings = unknownKeys(host, allowed: Self.resourceKeys.union(Self.plainHostKeys).union(Self.judgedHostKeys), in: "HostConfig.")
        findings += refuseSet(host, ["Devices", "DeviceCgroupRules", "DeviceRequests", "CgroupParent", "ContainerIDFile", "Annotations"],
                              in: "HostConfig.")
        if JSON.bool(host["Privileged"]) { findings.append("HostConfig.Privileged: a privileged container") }
        for key in ["MaskedPaths", "ReadonlyPaths"] where host[key] != nil && !(host[key] is NSNull) {
            findings.append("HostConfig.\(key): unmasking kernel paths")
        }
        for (index, bind) in JSON.strings(host["Binds"]).enumerated() {
            findings += try await bindString(bind, at: "HostConfig.Binds[\(index)]")
        }
        for (index, mount) in JSON.objects(host["Mounts"]).enumerated() {
            findings += try await self.mount(mount, at: "HostConfig.Mounts[\(index)]")
        }
        for (index, source) in JSON.strings(host["VolumesFrom"]).enumerated() {
            findings += try await volumesFrom(source, at: "HostConfig.VolumesFrom[\(index)]")
        }
        let volumeDriver = JSON.string(host["VolumeDriver"])
        if !["", "local"].contains(volumeDriver) { findings.append("HostConfig.VolumeDriver: volume driver \(volumeDriver)") }
        findings += try await namespaceModes(host, at: "HostConfig.", depth: 0)
        for capability in JSON.strings(host["CapAdd"]) where !EngineDefaults.isDefaultCapability(capability) {
            findings.append("HostConfig.CapAdd: capability \(capability)")
        }
        for option in JSON.strings(host["SecurityOpt"]) where !EngineDefaults.isHarmlessSecurityOption(option) {
            findings.append("HostConfig.SecurityOpt: \(option)")
        }
        let hostIPC = JSON.string(host["IpcMode"]) == "host"
        for key in JSON.object(host["Sysctls"]).keys.sorted() where !EngineDefaults.isNamespacedSysctl(key, hostIPC: hostIPC) {
            findings.append("HostConfig.Sysctls: \(key) is not namespaced")
        }
        let runtime = JSON.string(host["Runtime"])
        if !["", "runc"].contains(runtime) { findings.append("HostConfig.Runtime: runtime \(runtime)") }
        let logDriver = JSON.string(JSON.object(host["LogConfig"])["Type"])
        if !Self.logDrivers.contains(logDriver) { findings.append("HostConfig.LogConfig.Type: log driver \(logDriver)") }
        return findings
    }

    /// Network, PID, IPC, UTS, user and cgroup namespaces: never the host's, and
    /// another container's only when that container passes these rules itself.
    /// For a container the engine already runs (`inspected`), the cgroup namespace is left out: on cgroup v1
    /// hosts the engine reports `host` for every container, and joining a network or PID namespace does not join it.
    func namespaceModes(_ host: [String: Any], at prefix: String, depth: Int, inspected: Bool = false) async throws -> [String] {
        var findings: [String] = []
        var allowed: [String: Set<String>] = [
            "NetworkMode": ["", "default", "bridge", "none"], "PidMode": [""], "IpcMode": ["", "none", "private", "shareable"],
            "UTSMode": [""], "UsernsMode": [""], "CgroupnsMode": ["", "private"], "Cgroup": [""],
        ]
        if inspected { allowed["CgroupnsMode"] = nil; allowed["Cgroup"] = nil }
        for key in allowed.keys.sorted() {
            let mode = JSON.string(host[key])
            if allowed[key]!.contains(mode) { continue }
            if mode.hasPrefix("container:"), ["NetworkMode", "PidMode", "IpcMode"].contains(key) {
                findings += try await sharedContainer(String(mode.dropFirst("container:".count)), at: prefix + key, depth: depth)
            } else if key == "NetworkMode", mode != "host" {
                findings += try await networkName(mode, at: prefix + key)
            } else {
                findings.append("\(prefix)\(key): \(mode.isEmpty ? "set" : mode)")
            }
        }
        return findings
    }

    /// Joining another container's namespaces is as good as being that container.
    func sharedContainer(_ id: String, at path: String, depth: Int) async throws -> [String] {
        guard depth < 4 else { return ["\(path): container:\(id) (too many containers deep)"] }
        guard let other = try await references.container(id) else { return [] }  // the engine will refuse it
        let host = JSON.object(other["HostConfig"])
        var reasons: [String] = []
        if JSON.bool(host["Privileged"]) { reasons.append("privileged") }
        if !JSON.strings(host["CapAdd"]).allSatisfy(EngineDefaults.isDefaultCapability) {
            reasons.append("has added capabilities")
        }
        if !JSON.objects(host["Devices"]).isEmpty { reasons.append("has host devices") }
        reasons += try await namespaceModes(host, at: "", depth: depth + 1, inspected: true)
        return reasons.isEmpty ? [] : ["\(path): container:\(id) (\(reasons.joined(separator: ", ")))"]
    }

    /// The host network has one name but can be named by its id too. macvlan and ipvlan networks put a
    /// container on the host's LAN with its own MAC or address, past the host's firewall and NAT (ARP or
    /// DHCP spoofing, reaching LAN peers that trust the host's segment): creating one, joining one at create
    /// or connecting to one later is the admin's (see docs/security.md, "Networks").
    func networkName(_ name: String, at path: String) async throws -> [String] {
        if name == "host" { return ["\(path): the host network"] }
        guard let network = try await references.network(name) else { return [] }
        let driver = JSON.string(network["Driver"])
        let shown = JSON.string(network["Name"]).isEmpty ? name : JSON.string(network["Name"])
        return ["host", "macvlan", "ipvlan"].contains(driver) ? ["\(path): network \(shown) (driver \(driver))"] : []
    }

    /// A container labelled as a Compose project may not claim a folder outside its own stack's.
    func composeLabels(_ labels: [String: Any]) -> [String] {
        var findings: [String] = []
        for key in ["com.docker.compose.project.working_dir", "com.docker.compose.project.config_files"] {
            for path in JSON.string(labels[key]).split(separator: ",").map(String.init) where !path.isEmpty {
                guard let root = actor.bindRoot, isInside(resolve(path), root: resolve(root), orEqual: true) else {
                    findings.append("Labels.\(key): \(path) is not this stack's folder")
                    continue
                }
            }
        }
        return findings
    }

    // MARK: mounts

    func bindString(_ bind: String, at path: String) async throws -> [String] {
        let parts = bind.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let source = parts.first, parts.count >= 2 else { return [] }  // an anonymous volume
        if !source.hasPrefix("/") { return try await namedVolume(source, at: path) }
        let options = parts.count > 2 ? parts[2].split(separator: ",").map(String.init) : []
        return bindSource(source, readOnly: options.contains("ro"), at: path)
    }

    func mount(_ mount: [String: Any], at path: String) async throws -> [String] {
        switch JSON.string(mount["Type"]) {
        case "bind": return bindSource(JSON.string(mount["Source"]), readOnly: JSON.bool(mount["ReadOnly"]), at: path)
        case "volume":
            var findings = driverConfig(JSON.object(JSON.object(mount["VolumeOptions"])["DriverConfig"]), at: path + ".VolumeOptions.DriverConfig")
            let name = JSON.string(mount["Source"])
            if !name.isEmpty { findings += try await namedVolume(name, at: path) }
            return findings
        case "tmpfs": return []
        case let other: return ["\(path).Type: mount type \(other)"]
        }
    }

    /// Files of the actor's stack folder (or read-only, of the folder Jarvis generated for it); never the
    /// stack folder itself or the files Jarvis writes there unless read-only.
    func bindSource(_ source: String, readOnly: Bool, at path: String) -> [String] {
        guard source.hasPrefix("/"), !source.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
            return ["\(path): bind source \(source) is not a clean absolute path"]
        }
        let resolved = resolve(source)
        if let root = actor.bindRoot {
            let base = resolve(root)
            if isInside(resolved, root: base, orEqual: readOnly) {
                let written = (resolved as NSString).deletingLastPathComponent == base && Self.isJarvisFile((resolved as NSString).lastPathComponent)
                if written && !readOnly { return ["\(path): \(source) is a file Jarvis writes; mount it read-only"] }
                return []
            }
            if resolved == base { return ["\(path): the stack's own folder read-write (mount a subfolder, or the folder read-only)"] }
        }
        if readOnly, actor.readOnlyRoots.contains(where: { isInside(resolved, root: resolve($0), orEqual: true) }) { return [] }
        let shown = resolved == source ? source : "\(source) (\(resolved))"
        return ["\(path): host path \(shown)" + (actor.bindRoot == nil ? "" : " outside the stack's folder")]
    }

    static func isJarvisFile(_ name: String) -> Bool {
        ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml", ".env"].contains(name)
            || name.hasSuffix(".bak") || (name.hasPrefix(".") && name.hasSuffix(".saving"))
    }

    /// A named volume is safe when it does not exist yet (the engine makes a plain one) or is a plain local volume.
    func namedVolume(_ name: String, at path: String) async throws -> [String] {
        guard let volume = try await references.volume(name) else { return [] }
        let driver = JSON.string(volume["Driver"])
        if driver != "local" { return ["\(path): volume \(name) uses driver \(driver)"] }
        return driverOptions(JSON.object(volume["Options"]), at: "\(path): volume \(name)")
    }

    func driverConfig(_ config: [String: Any], at path: String) -> [String] {
        let name = JSON.string(config["Name"])
        if !["", "local"].contains(name) { return ["\(path).Name: volume driver \(name)"] }
        return driverOptions(JSON.object(config["Options"]), at: path + ".Options")
    }

    /// The local driver's options mount anything (`type=none,o=bind,device=/`); only tmpfs is harmless.
    func driverOptions(_ options: [String: Any], at path: String) -> [String] {
        guard !options.isEmpty else { return [] }
        let type = JSON.string(options["type"]), device = JSON.string(options["device"]), o = JSON.string(options["o"])
        let tmpfs = type == "tmpfs" && device == "tmpfs" && !o.split(separator: ",").contains("bind")
            && Set(options.keys).isSubset(of: ["type", "device", "o"])
        return tmpfs ? [] : ["\(path) has driver options \(options.keys.sorted().map { "\($0)=\(JSON.string(options[$0]))" }.joined(separator: ","))"]
    }

    /// Mounting another container's volumes is mounting what it mounts.
    func volumesFrom(_ entry: String, at path: String) async throws -> [String] {
        let parts = entry.split(separator: ":").map(String.init)
        guard let id = parts.first, let other = try await references.container(id) else { return [] }
        let readOnly = parts.count > 1 && parts[1] == "ro"
        var findings: [String] = []
        for mount in JSON.objects(other["Mounts"]) {
            switch JSON.string(mount["Type"]) {
            case "bind": findings += bindSource(JSON.string(mount["Source"]), readOnly: readOnly || !JSON.bool(mount["RW"], default: true), at: "\(path) (\(id))")
            case "volume": findings += try await namedVolume(JSON.string(mount["Name"]), at: "\(path) (\(id))")
            default: break
            }
        }
        return findings
    }

    // MARK: volumes, networks, builds

    func volumeCreate(_ body: [String: Any]) -> [String] {
        var findings = unknownKeys(body, allowed: ["Name", "Labels", "Driver", "DriverOpts"], in: "")
        let driver = JSON.string(body["Driver"])
        if !["", "local"].contains(driver) { findings.append("Driver: volume driver \(driver)") }
        return findings + driverOptions(JSON.object(body["DriverOpts"]), at: "DriverOpts")
    }

    static let networkOptions: Set<String> = ["com.docker.network.bridge.enable_icc", "com.docker.network.bridge.enable_ip_masquerade",
                                              "com.docker.network.driver.mtu", "com.docker.network.bridge.host_binding_ipv4",
                                              "com.docker.network.container_iface_prefix"]

    func networkCreate(_ body: [String: Any]) -> [String] {
        var findings = unknownKeys(body, allowed: ["Name", "CheckDuplicate", "Driver", "Internal", "Attachable", "EnableIPv6",
                                                   "EnableIPv4", "IPAM", "Options", "Labels"], in: "")
        let driver = JSON.string(body["Driver"])
        if !["", "bridge"].contains(driver) { findings.append("Driver: network driver \(driver)") }
        for key in JSON.object(body["Options"]).keys.sorted() where !Self.networkOptions.contains(key) {
            findings.append("Options: \(key)")
        }
        let ipamDriver = JSON.string(JSON.object(body["IPAM"])["Driver"])
        if !["", "default"].contains(ipamDriver) { findings.append("IPAM.Driver: \(ipamDriver)") }
        return findings
    }

    func build(_ query: [(String, String)]) -> [String] {
        var findings: [String] = []
        for (key, value) in query {
            if key == "networkmode", !["", "default", "bridge", "none"].contains(value) { findings.append("networkmode: \(value)") }
            if key == "cgroupparent", !value.isEmpty { findings.append("cgroupparent: \(value)") }
        }
        return findings
    }

    // MARK: helpers

    func unknownKeys(_ object: [String: Any], allowed: Set<String>, in prefix: String) -> [String] {
        object.keys.sorted().filter { !allowed.contains($0) && !JSON.isEmpty(object[$0]) }.map { "\(prefix)\($0): not on the list of settings an operator may use" }
    }

    func refuseSet(_ object: [String: Any], _ keys: [String], in prefix: String) -> [String] {
        keys.filter { !JSON.isEmpty(object[$0]) }.map { "\(prefix)\($0): set" }
    }

    func isInside(_ path: String, root: String, orEqual: Bool) -> Bool {
        path.hasPrefix(root.hasSuffix("/") ? root : root + "/") || (orEqual && path == root)
    }

    static func resolveExisting(_ path: String) -> String {
        var head = path, tail: [String] = []
        while head.count > 1 {
            if let real = Paths.realPath(head) { return ([real == "/" ? "" : real] + tail.reversed()).joined(separator: "/") }
            tail.append((head as NSString).lastPathComponent)
            head = (head as NSString).deletingLastPathComponent
        }
        return "/" + tail.reversed().joined(separator: "/")
    }
}

/// Reading JSONSerialization's untyped values without crashes.
enum JSON {
    static func object(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }
    static func objects(_ value: Any?) -> [[String: Any]] { value as? [[String: Any]] ?? [] }
    static func strings(_ value: Any?) -> [String] { (value as? [Any] ?? []).map { $0 as? String ?? "\($0)" } }
    static func string(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: return ""
        case let text as String: return text
        case let other?: return "\(other)"
        }
    }
    static func bool(_ value: Any?, default fallback: Bool = false) -> Bool {
        switch value {
        case let flag as Bool: return flag
        case let number as NSNumber: return number.intValue != 0
        case let text as String: return ["true", "1"].contains(text.lowercased())
        default: return fallback
        }
    }
    static func isEmpty(_ value: Any?) -> Bool {
        switch value {
        case nil, is NSNull: return true
        case let text as String: return text.isEmpty
        case let list as [Any]: return list.isEmpty
        case let object as [String: Any]: return object.isEmpty
        case let flag as Bool: return !flag
        case let number as NSNumber: return number.doubleValue == 0
        default: return false
        }
    }
}
