import Foundation

/// The service keys that map onto further Engine API container fields (issue 15): resources,
/// DNS, links, device requests, annotations. Each lands in `ComposeService.engine`.
extension ServiceBuilder {
    /// Applies `key` when it is one of these; false leaves it to the caller.
    func applyEngineKey(_ key: String, _ value: Cursor, to service: inout ComposeService) -> Bool {
        var engine = service.engine ?? EngineSettings()
        switch key {
        case "dns_search": engine.dnsSearch = value.strings() ?? []
        case "dns_opt": engine.dnsOptions = value.strings() ?? []
        case "group_add": engine.groupAdd = value.strings() ?? []
        case "oom_score_adj":
            engine.oomScoreAdj = value.int()
            if let score = engine.oomScoreAdj, !(-1000...1000).contains(score) { context.error(value, "oom_score_adj is between -1000 and 1000, not \(score)") }
        case "oom_kill_disable": engine.oomKillDisable = value.bool()
        case "mem_swappiness":
            engine.memSwappiness = value.int()
            if let swappiness = engine.memSwappiness, !(0...100).contains(swappiness) { context.error(value, "mem_swappiness is between 0 and 100, not \(swappiness)") }
        case "memswap_limit":
            // -1 is "unlimited swap", which no byte size spells.
            engine.memswapLimit = value.text() == "-1" ? -1 : value.bytes()
        case "cpu_shares": engine.cpuShares = value.int().map(Int64.init)
        case "cpu_quota": engine.cpuQuota = value.int().map(Int64.init)
        case "cpu_period": engine.cpuPeriod = value.int().map(Int64.init)
        case "cpu_rt_runtime": engine.cpuRealtimeRuntime = microseconds(value)
        case "cpu_rt_period": engine.cpuRealtimePeriod = microseconds(value)
        case "cpu_count": engine.cpuCount = value.int().map(Int64.init)
        case "cpu_percent":
            engine.cpuPercent = value.int().map(Int64.init)
            if let percent = engine.cpuPercent, !(0...100).contains(percent) { context.error(value, "cpu_percent is between 0 and 100, not \(percent)") }
        case "cpuset": engine.cpuset = value.text()
        case "blkio_config": engine.blkio = blkio(value)
        case "mac_address": engine.macAddress = value.text()
        case "links": engine.links = value.strings() ?? []
        case "external_links":
            engine.externalLinks = value.strings() ?? []
            // A legacy link hands over the linked container's environment (ALIAS_ENV_*), like joining it does.
            if let links = engine.externalLinks, !links.isEmpty {
                context.hostAccess(value, "links to container \(links.map { String($0.split(separator: ":").first ?? "") }.joined(separator: ", ")), outside this stack")
            }
        case "platform": engine.platform = value.text()
        case "gpus":
            // `gpus` is a device request with the implied capability gpu.
            engine.deviceRequests = (engine.deviceRequests ?? []) + gpus(value)
            context.hostAccess(value, "passes host GPUs to the container")
        case "annotations":
            engine.annotations = value.stringMap()
            // The runtime reads them (crun's run.oci.*, for one): Jarvis's engine rules keep them for admins.
            if engine.annotations?.isEmpty == false { context.hostAccess(value, "sets OCI annotations, which the container runtime acts on") }
        case "storage_opt": engine.storageOpt = value.stringMap()
        case "isolation": engine.isolation = value.text()
        default: return false
        }
        service.engine = engine.isEmpty ? nil : engine
        return true
    }

    /// An integer in microseconds or a duration (`400ms`), as `cpu_rt_runtime` takes it.
    private func microseconds(_ value: Cursor) -> Int64? {
        guard let text = value.text() else { return nil }
        if let number = Int64(text) { return number }
        guard let seconds = Units.duration(text) else {
            context.error(value, "expected microseconds or a duration such as 400ms, got \"\(text.prefix(60))\"")
            return nil
        }
        return Int64((seconds * 1e6).rounded())
    }

    private func blkio(_ value: Cursor) -> BlkioConfig {
        var config = BlkioConfig()
        for (key, field) in value.mapping() ?? [] {
            switch key {
            case "weight":
                config.weight = field.int()
                if let weight = config.weight, !(10...1000).contains(weight) { context.error(field, "weight is between 10 and 1000, not \(weight)") }
            case "weight_device": config.weightDevice = devices(field, valueKey: "weight", bytes: false)
            case "device_read_bps": config.readBps = devices(field, valueKey: "rate", bytes: true)
            case "device_write_bps": config.writeBps = devices(field, valueKey: "rate", bytes: true)
            case "device_read_iops": config.readIops = devices(field, valueKey: "rate", bytes: false)
            case "device_write_iops": config.writeIops = devices(field, valueKey: "rate", bytes: false)
            default: context.warning(field, "unsupported blkio_config setting, ignored")
            }
        }
        return config
    }

    /// `[{path, weight|rate}]`; a rate in bytes may be written as a size (`12mb`).
    private func devices(_ value: Cursor, valueKey: String, bytes: Bool) -> [BlkioConfig.DeviceValue] {
        (value.list() ?? []).compactMap { item in
            var path: String?
            var number: Int64?
            for (key, field) in item.mapping() ?? [] {
                if key == "path" { path = field.text() } else if key == valueKey { number = bytes ? field.bytes() : field.int().map(Int64.init) } else {
                    context.warning(field, "unsupported device setting, ignored")
                }
            }
            guard let path, let number else { context.error(item, "needs path and \(valueKey)"); return nil }
            return BlkioConfig.DeviceValue(path: path, value: number)
        }
    }

    /// `gpus: all`, or a list of `{driver, count, device_ids, capabilities, options}`.
    private func gpus(_ value: Cursor) -> [DeviceRequest] {
        if case .scalar = value.node {
            guard let text = value.text() else { return [] }
            guard text == "all" else { context.error(value, "gpus is all or a list of devices, not \"\(text.prefix(60))\""); return [] }
            return [DeviceRequest(count: -1, capabilities: [["gpu"]])]
        }
        return (value.list() ?? []).compactMap { deviceRequest($0, impliedCapability: "gpu") }
    }

    /// One device request: `deploy.resources.reservations.devices[]` or `gpus[]`.
    func deviceRequest(_ item: Cursor, impliedCapability: String?) -> DeviceRequest? {
        var request = DeviceRequest()
        var capabilities: [String] = []
        for (key, field) in item.mapping() ?? [] {
            switch key {
            case "driver": request.driver = field.text()
            case "count":
                if field.text() == "all" { request.count = -1 } else { request.count = field.int() }
            case "device_ids": request.deviceIDs = field.strings() ?? []
            case "capabilities": capabilities = field.strings() ?? []
            case "options": request.options = field.stringMap()
            default: context.warning(field, "unsupported device request setting, ignored")
            }
        }
        if let implied = impliedCapability, !capabilities.contains(implied) { capabilities.insert(implied, at: 0) }
        guard !capabilities.isEmpty else { context.error(item, "a device reservation needs capabilities (for example [gpu])"); return nil }
        if request.count != nil && request.deviceIDs != nil { context.error(item, "count and device_ids cannot both be set"); return nil }
        request.capabilities = [capabilities]
        return request
    }

    /// `post_start` / `pre_stop`: a list of `{command, user, privileged, working_dir, environment}`.
    func hooks(_ value: Cursor) -> [LifecycleHook] {
        (value.list() ?? []).compactMap { item in
            var hook = LifecycleHook(command: [])
            for (key, field) in item.mapping() ?? [] {
                switch key {
                case "command": hook.command = commandLine(field) ?? []
                case "user": hook.user = field.text()
                case "privileged":
                    hook.privileged = field.bool() ?? false
                    if hook.privileged { context.hostAccess(field, "runs a lifecycle hook privileged") }
                case "working_dir": hook.workingDir = field.text()
                case "environment":
                    for (name, entry) in field.keyValues() ?? [] { hook.environment[name] = entry ?? field.variables[name] ?? "" }
                default: context.warning(field, "unsupported hook setting, ignored")
                }
            }
            guard !hook.command.isEmpty else { context.error(item, "a hook needs a command"); return nil }
            return hook
        }
    }

    /// `devices` entries: `host[:container[:permissions]]`, or the long form `{source, target, permissions}`.
    func deviceEntries(_ value: Cursor) -> [String] {
        if case .scalar = value.node { return value.text().map { [$0] } ?? [] }
        return (value.list() ?? []).compactMap { item in
            guard case .mapping = item.node else { return item.text() }
            var source: String?, target: String?, permissions: String?
            for (key, field) in item.mapping() ?? [] {
                switch key {
                case "source": source = field.text()
                case "target": target = field.text()
                case "permissions": permissions = field.text()
                default: context.warning(field, "unsupported device setting, ignored")
                }
            }
            guard let source else { context.error(item, "a device needs a source"); return nil }
            return [source, target ?? source, permissions ?? "rwm"].joined(separator: ":")
        }
    }

    /// `extra_hosts` in every form the specification gives: `name=ip`, `name:ip`, `name=[v6]`,
    /// and the map `name: ip` or `name: [ip, ip]`. The engine takes `name:ip`, one line per address.
    func extraHosts(_ value: Cursor) -> [String] {
        func entry(_ name: String, _ address: String) -> String {
            var address = address
            if address.hasPrefix("[") && address.hasSuffix("]") { address = String(address.dropFirst().dropLast()) }
            return "\(name):\(address)"
        }
        if case .mapping = value.node {
            return (value.mapping() ?? []).flatMap { name, field -> [String] in
                (field.strings() ?? []).map { entry(name, $0) }
            }
        }
        return (value.list() ?? []).compactMap { item -> String? in
            guard let text = item.text() else { return nil }
            // `=` first: an IPv6 address is full of colons, so `:` splits only at its first one.
            guard let split = text.firstIndex(of: "=") ?? text.firstIndex(of: ":"), split != text.startIndex,
                  text.index(after: split) != text.endIndex else {
                context.error(item, "extra_hosts entry \"\(text.prefix(80))\" needs name=ip (or name:ip)")
                return nil
            }
            return entry(String(text[..<split]), String(text[text.index(after: split)...]))
        }
    }
}

extension ServiceBuilder {
    /// Service keys read and knowingly not applied, with the reason the warning gives (docs/compose.md lists them).
    static let notApplicable: [String: String] = [
        "credential_spec": "it configures Windows containers (gMSA); Jarvis deploys to Linux engines",
        "develop": "file watching (compose watch) is a feature of the docker compose CLI, not of the engine",
        "provider": "provider services are run by Compose plugins outside the engine",
        "use_api_socket": "it hands the container the engine socket and the CLI's registry credentials, which Jarvis never does",
    ]
}
