import Foundation

/// The labels Compose v2 puts on what it creates; Jarvis writes and reads the same.
public enum ComposeLabel {
    public static let project = "com.docker.compose.project"
    public static let service = "com.docker.compose.service"
    public static let number = "com.docker.compose.container-number"
    public static let oneoff = "com.docker.compose.oneoff"
    public static let configHash = "com.docker.compose.config-hash"
    public static let workingDir = "com.docker.compose.project.working_dir"
    public static let configFiles = "com.docker.compose.project.config_files"
    public static let dependsOn = "com.docker.compose.depends_on"
    public static let image = "com.docker.compose.image"
    public static let version = "com.docker.compose.version"
    public static let network = "com.docker.compose.network"
    public static let volume = "com.docker.compose.volume"
    /// The label format Jarvis follows (Compose v2's), not a CLI version.
    public static let formatVersion = "2.0.0"
}

/// Engine API bodies for a project's containers, networks and volumes. Pure:
/// files that must exist on disk (inline configs, secrets from variables) are
/// named by `materialized`, which the caller writes.
public struct EngineSpec: Sendable {
    public let project: ComposeProject
    /// The negotiated Engine API minor version (1.x): fields that moved between versions follow it.
    public var apiMinor: Int

    public init(project: ComposeProject, apiMinor: Int = 47) {
        self.project = project
        self.apiMinor = apiMinor
    }

    /// `imageID` is the id of the image the container runs: Compose v2 keeps it (it calls it the
    /// digest) under `com.docker.compose.image` to tell outdated containers; the reference stands in when unknown.
    public func labels(for service: ComposeService, number: Int, imageID: String? = nil) -> [String: String] {
        var labels = service.labels
        labels[ComposeLabel.project] = project.name
        labels[ComposeLabel.service] = service.name
        labels[ComposeLabel.number] = String(number)
        labels[ComposeLabel.oneoff] = "False"
        labels[ComposeLabel.configHash] = ConfigHash.of(service)
        labels[ComposeLabel.workingDir] = project.workingDir
        labels[ComposeLabel.configFiles] = project.configFiles.joined(separator: ",")
        labels[ComposeLabel.version] = ComposeLabel.formatVersion
        labels[ComposeLabel.image] = imageID ?? Planner.withTag(service.image ?? "\(project.name)-\(service.name)")
        labels[ComposeLabel.dependsOn] = service.dependsOn.keys.sorted().map { name in
            let dependency = service.dependsOn[name]!
            return "\(name):\(dependency.condition.rawValue):\(dependency.restart)"
        }.joined(separator: ",")
        return labels
    }

    /// The networks a service joins, by key, the first one given at create time
    /// (engines before API 1.44 take one) and the rest connected before start.
    public func networkKeys(for service: ComposeService) -> [String] {
        guard service.networkMode == nil else { return [] }
        let keys = service.networks.isEmpty ? ["default"] : service.networks.keys.sorted()
        return keys.filter { project.networks[$0] != nil }
    }

    public func endpoint(for service: ComposeService, network key: String) -> [String: Any] {
        let attachment = service.networks[key] ?? ServiceNetwork()
        var endpoint: [String: Any] = ["Aliases": [service.name] + attachment.aliases]
        var ipam: [String: Any] = [:]
        if let address = attachment.ipv4Address { ipam["IPv4Address"] = address }
        if let address = attachment.ipv6Address { ipam["IPv6Address"] = address }
        if !ipam.isEmpty { endpoint["IPAMConfig"] = ipam }
        applyAttachment(attachment, service: service, primary: networkKeys(for: service).first == key, to: &endpoint)
        return endpoint
    }

    /// `POST /containers/create` body. `serviceContainer` resolves `network_mode: service:x`; `inherited`
    /// are the volumes of the container this one replaces (see `AnonymousVolumes`).
    public func containerBody(for service: ComposeService, number: Int, materialized: (String, FileObject) -> String,
                              serviceContainer: (String) -> String? = { _ in nil }, inherited: [ObservedMount] = [],
                              imageID: String? = nil) -> [String: Any] {
        // The hash label and the namespaces both see `container:<id>` of the service referred to.
        let service = ServiceReferences.resolved(service, in: project, containerID: serviceContainer)
        var body: [String: Any] = [
            "Image": Planner.withTag(service.image ?? "\(project.name)-\(service.name)"),
            "Labels": labels(for: service, number: number, imageID: imageID),
            "Env": service.environment.keys.sorted().map { "\($0)=\(service.environment[$0]!)" },
            "Tty": service.tty,
            "OpenStdin": service.stdinOpen,
        ]
        if let command = service.command { body["Cmd"] = command }
        if let entrypoint = service.entrypoint { body["Entrypoint"] = entrypoint }
        if let user = service.user { body["User"] = user }
        if let directory = service.workingDir { body["WorkingDir"] = directory }
        if let hostname = service.hostname { body["Hostname"] = hostname }
        if let domain = service.domainname { body["Domainname"] = domain }
        if let signal = service.stopSignal { body["StopSignal"] = signal }
        if let grace = service.stopGracePeriod { body["StopTimeout"] = Int(grace.rounded(.up)) }
        var exposed: [String: [String: String]] = [:]
        for port in service.ports { exposed["\(port.target)/\(port.proto)"] = [:] }
        for entry in service.expose { exposed[entry.contains("/") ? entry : "\(entry)/tcp"] = [:] }
        if !exposed.isEmpty { body["ExposedPorts"] = exposed }
        if let check = service.healthcheck { body["Healthcheck"] = healthcheck(check) }

        var host: [String: Any] = [:]
        var binds: [String] = []
        var mounts: [[String: Any]] = []
        for mount in service.volumes {
            switch mount.kind {
            case .bind where mount.createHostPath && (mount.recursive ?? "enabled") == "enabled":
                // Binds (not Mounts) make the engine create a missing host folder, as Compose does.
                let options = [mount.readOnly ? "ro" : "rw", mount.selinux, mount.propagation].compactMap { $0 }
                binds.append("\(mount.source!):\(mount.target):" + options.joined(separator: ","))
            case .bind:
                var entry: [String: Any] = ["Type": "bind", "Source": mount.source!, "Target": mount.target, "ReadOnly": mount.readOnly]
                // Only the Mounts form says how submounts are bound (Compose does the same for `recursive`).
                var options: [String: Any] = [:]
                if let propagation = mount.propagation { options["Propagation"] = propagation }
                switch mount.recursive {
                case "disabled": options["NonRecursive"] = true
                case "writable": options["ReadOnlyNonRecursive"] = true
                case "readonly": options["ReadOnlyForceRecursive"] = true
                default: break
                }
                if !options.isEmpty { entry["BindOptions"] = options }
                mounts.append(entry)
            case .volume:
                var entry: [String: Any] = ["Type": "volume", "Target": mount.target, "ReadOnly": mount.readOnly]
                if let key = mount.source {
                    entry["Source"] = project.volumes[key]?.name ?? key
                } else if let old = inherited.first(where: { $0.destination == AnonymousVolumes.clean(mount.target) }) {
                    entry["Source"] = old.name
                }
                var options: [String: Any] = [:]
                if mount.noCopy { options["NoCopy"] = true }
                if let subpath = mount.subpath { options["Subpath"] = subpath }
                if !options.isEmpty { entry["VolumeOptions"] = options }
                mounts.append(entry)
            case .image:
                var entry: [String: Any] = ["Type": "image", "Source": mount.source ?? "", "Target": mount.target, "ReadOnly": mount.readOnly]
                if let subpath = mount.subpath { entry["ImageOptions"] = ["Subpath": subpath] }
                mounts.append(entry)
            case .tmpfs:
                var entry: [String: Any] = ["Type": "tmpfs", "Target": mount.target]
                var options: [String: Any] = [:]
                if let size = mount.tmpfsSize { options["SizeBytes"] = size }
                if let mode = mount.tmpfsMode { options["Mode"] = mode }
                if !options.isEmpty { entry["TmpfsOptions"] = options }
                mounts.append(entry)
            }
        }
        // Image VOLUME paths the file does not mention: the old container's volume, as it was mounted.
        let written = Set(service.volumes.map { AnonymousVolumes.clean($0.target) })
        for old in inherited where !written.contains(old.destination) {
            mounts.append(["Type": "volume", "Source": old.name ?? "", "Target": old.destination, "ReadOnly": !old.readWrite])
        }
        for (references, objects) in [(service.secrets, project.secrets), (service.configs, project.configs)] {
            for reference in references {
                guard let object = objects[reference.source] else { continue }
                binds.append("\(object.file ?? materialized(reference.source, object)):\(reference.target):ro")
            }
        }
        if !binds.isEmpty { host["Binds"] = binds }
        if !mounts.isEmpty { host["Mounts"] = mounts }
        var bindings: [String: [[String: String]]] = [:]
        for port in service.ports {
            bindings["\(port.target)/\(port.proto)", default: []].append(["HostIp": port.hostIP ?? "", "HostPort": port.published ?? ""])
        }
        if !bindings.isEmpty { host["PortBindings"] = bindings }
        if let restart = service.restart {
            let parts = restart.split(separator: ":")
            var policy: [String: Any] = ["Name": String(parts[0])]
            if parts.count > 1, let retries = Int(parts[1]) { policy["MaximumRetryCount"] = retries }
            host["RestartPolicy"] = policy
        }
        if let mode = service.networkMode {
            host["NetworkMode"] = mode
        } else if let first = networkKeys(for: service).first, let network = project.networks[first] {
            host["NetworkMode"] = network.name
            body["NetworkingConfig"] = ["EndpointsConfig": [network.name: endpoint(for: service, network: first)]]
        }
        if let mode = service.ipc { host["IpcMode"] = mode }
        if let mode = service.pid { host["PidMode"] = mode }
        if let mode = service.uts { host["UTSMode"] = mode }
        if let mode = service.usernsMode { host["UsernsMode"] = mode }
        if let mode = service.cgroup { host["CgroupnsMode"] = mode }
        if let parent = service.cgroupParent { host["CgroupParent"] = parent }
        if let runtime = service.runtime { host["Runtime"] = runtime }
        if let rules = service.deviceCgroupRules, !rules.isEmpty { host["DeviceCgroupRules"] = rules }
        if let sources = service.volumesFrom, !sources.isEmpty {
            // The engine takes `<container>[:ro|rw]`; a service not resolved to a container is left to fail there.
            host["VolumesFrom"] = sources.map { $0.hasPrefix("container:") ? String($0.dropFirst(10)) : $0 }
        }
        if let cpus = service.resources.cpus { host["NanoCpus"] = Int64(cpus * 1e9) }
        if let memory = service.resources.memory { host["Memory"] = memory }
        if let reservation = service.resources.memoryReservation { host["MemoryReservation"] = reservation }
        if let pids = service.resources.pids { host["PidsLimit"] = pids }
        if !service.capAdd.isEmpty { host["CapAdd"] = service.capAdd }
        if !service.capDrop.isEmpty { host["CapDrop"] = service.capDrop }
        if !service.securityOpt.isEmpty { host["SecurityOpt"] = service.securityOpt }
        if service.privileged { host["Privileged"] = true }
        if service.readOnly { host["ReadonlyRootfs"] = true }
        if let initProcess = service.initProcess { host["Init"] = initProcess }
        if !service.extraHosts.isEmpty { host["ExtraHosts"] = service.extraHosts }
        if !service.dns.isEmpty { host["Dns"] = service.dns }
        if !service.tmpfs.isEmpty {
            var tmpfs: [String: String] = [:]
            for entry in service.tmpfs {
                let parts = entry.split(separator: ":", maxSplits: 1)
                tmpfs[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            host["Tmpfs"] = tmpfs
        }
        if let size = service.shmSize { host["ShmSize"] = size }
        if !service.devices.isEmpty {
            host["Devices"] = service.devices.map { entry -> [String: String] in
                let parts = entry.split(separator: ":").map(String.init)
                return ["PathOnHost": parts[0], "PathInContainer": parts.count > 1 ? parts[1] : parts[0],
                        "CgroupPermissions": parts.count > 2 ? parts[2] : "rwm"]
            }
        }
        if !service.sysctls.isEmpty { host["Sysctls"] = service.sysctls }
        if !service.ulimits.isEmpty {
            host["Ulimits"] = service.ulimits.keys.sorted().map { ["Name": $0, "Soft": service.ulimits[$0]!.soft, "Hard": service.ulimits[$0]!.hard] }
        }
        if let logging = service.logging, let driver = logging.driver { host["LogConfig"] = ["Type": driver, "Config": logging.options] }
        applySettings(service, number: number, body: &body, host: &host)
        body["HostConfig"] = host
        return body
    }

    private func healthcheck(_ check: Healthcheck) -> [String: Any] {
        var body: [String: Any] = [:]
        if let test = check.test { body["Test"] = test }
        let nanoseconds = { (seconds: Double) in Int64(seconds * 1e9) }
        if let value = check.interval { body["Interval"] = nanoseconds(value) }
        if let value = check.timeout { body["Timeout"] = nanoseconds(value) }
        if let value = check.startPeriod { body["StartPeriod"] = nanoseconds(value) }
        if let value = check.startInterval { body["StartInterval"] = nanoseconds(value) }
        if let retries = check.retries { body["Retries"] = retries }
        return body
    }

    /// `POST /networks/create` body.
    public func networkBody(_ key: String) -> [String: Any] {
        let network = project.networks[key]!
        let labels = resourceLabels(network.labels, ComposeLabel.network, key)
        var body: [String: Any] = ["Name": network.name, "CheckDuplicate": true, "Labels": labels,
                                   "Internal": network.isInternal, "Attachable": network.attachable, "EnableIPv6": network.enableIPv6]
        if let ipv4 = network.enableIPv4 { body["EnableIPv4"] = ipv4 }
        if let driver = network.driver { body["Driver"] = driver }
        if !network.driverOpts.isEmpty { body["Options"] = network.driverOpts }
        if !network.subnets.isEmpty || network.ipamDriver != nil || !network.ipamOptions.isEmpty {
            var ipam: [String: Any] = ["Config": network.subnets.map { pool -> [String: Any] in
                var config: [String: Any] = [:]
                if let subnet = pool.subnet { config["Subnet"] = subnet }
                if let gateway = pool.gateway { config["Gateway"] = gateway }
                if let range = pool.ipRange { config["IPRange"] = range }
                if !pool.auxAddresses.isEmpty { config["AuxiliaryAddresses"] = pool.auxAddresses }
                return config
            }]
            if let driver = network.ipamDriver { ipam["Driver"] = driver }
            if !network.ipamOptions.isEmpty { ipam["Options"] = network.ipamOptions }
            body["IPAM"] = ipam
        }
        return body
    }

    /// `POST /volumes/create` body.
    public func volumeBody(_ key: String) -> [String: Any] {
        let volume = project.volumes[key]!
        let labels = resourceLabels(volume.labels, ComposeLabel.volume, key)
        var body: [String: Any] = ["Name": volume.name, "Labels": labels]
        if let driver = volume.driver { body["Driver"] = driver }
        if !volume.driverOpts.isEmpty { body["DriverOpts"] = volume.driverOpts }
        return body
    }

    /// A network's or volume's own labels plus the project's and its key under `kindLabel`.
    private func resourceLabels(_ own: [String: String], _ kindLabel: String, _ key: String) -> [String: String] {
        var labels = own
        labels[ComposeLabel.project] = project.name
        labels[kindLabel] = key
        labels[ComposeLabel.version] = ComposeLabel.formatVersion
        return labels
    }
}
