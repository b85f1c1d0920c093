import Foundation

/// The container fields of `EngineSettings` and the checks of what the negotiated engine can do.
extension EngineSpec {
    /// Writes `service.engine` into the create body and its `HostConfig`, as docker compose does.
    func applySettings(_ service: ComposeService, number: Int, body: inout [String: Any], host: inout [String: Any]) {
        guard let engine = service.engine else { return }
        if let search = engine.dnsSearch, !search.isEmpty { host["DnsSearch"] = search }
        if let options = engine.dnsOptions, !options.isEmpty { host["DnsOptions"] = options }
        if let groups = engine.groupAdd, !groups.isEmpty { host["GroupAdd"] = groups }
        if let score = engine.oomScoreAdj { host["OomScoreAdj"] = score }
        if let disable = engine.oomKillDisable { host["OomKillDisable"] = disable }
        if let swappiness = engine.memSwappiness { host["MemorySwappiness"] = swappiness }
        if let swap = engine.memswapLimit { host["MemorySwap"] = swap }
        if let shares = engine.cpuShares { host["CpuShares"] = shares }
        if let quota = engine.cpuQuota { host["CpuQuota"] = quota }
        if let period = engine.cpuPeriod { host["CpuPeriod"] = period }
        if let runtime = engine.cpuRealtimeRuntime { host["CpuRealtimeRuntime"] = runtime }
        if let period = engine.cpuRealtimePeriod { host["CpuRealtimePeriod"] = period }
        if let count = engine.cpuCount { host["CpuCount"] = count }
        if let percent = engine.cpuPercent { host["CpuPercent"] = percent }
        if let cpuset = engine.cpuset { host["CpusetCpus"] = cpuset }
        if let blkio = engine.blkio {
            if let weight = blkio.weight { host["BlkioWeight"] = weight }
            let rate = { (entries: [BlkioConfig.DeviceValue]) in entries.map { ["Path": $0.path, "Rate": $0.value] as [String: Any] } }
            if !blkio.weightDevice.isEmpty { host["BlkioWeightDevice"] = blkio.weightDevice.map { ["Path": $0.path, "Weight": $0.value] as [String: Any] } }
            if !blkio.readBps.isEmpty { host["BlkioDeviceReadBps"] = rate(blkio.readBps) }
            if !blkio.writeBps.isEmpty { host["BlkioDeviceWriteBps"] = rate(blkio.writeBps) }
            if !blkio.readIops.isEmpty { host["BlkioDeviceReadIOps"] = rate(blkio.readIops) }
            if !blkio.writeIops.isEmpty { host["BlkioDeviceWriteIOps"] = rate(blkio.writeIops) }
        }
        let links = containerLinks(for: service, number: number)
        if !links.isEmpty {
            // Compose v2 gives links to the primary network's endpoint; without one (network_mode) they are the legacy HostConfig.Links.
            if var networking = body["NetworkingConfig"] as? [String: Any], var endpoints = networking["EndpointsConfig"] as? [String: Any],
               let name = endpoints.keys.first, var endpoint = endpoints[name] as? [String: Any] {
                endpoint["Links"] = links
                endpoints[name] = endpoint
                networking["EndpointsConfig"] = endpoints
                body["NetworkingConfig"] = networking
            } else {
                host["Links"] = links
            }
        }
        if let requests = engine.deviceRequests, !requests.isEmpty {
            host["DeviceRequests"] = requests.map { request -> [String: Any] in
                var entry: [String: Any] = ["Driver": request.driver ?? "", "Capabilities": request.capabilities, "Options": request.options]
                if let count = request.count { entry["Count"] = count }
                if let ids = request.deviceIDs { entry["DeviceIDs"] = ids }
                return entry
            }
        }
        if let annotations = engine.annotations, !annotations.isEmpty { host["Annotations"] = annotations }
        if let options = engine.storageOpt, !options.isEmpty { host["StorageOpt"] = options }
        if let isolation = engine.isolation { host["Isolation"] = isolation }
        // From API 1.44 the address belongs to the endpoint (see `endpoint`); before, to the container.
        if let mac = engine.macAddress, apiMinor < 44 || service.networkMode != nil { body["MacAddress"] = mac }
    }

    /// Links as Compose v2 writes them (`getLinks`): each container of a linked service under the link's alias,
    /// `<service>-<n>` and `<project>-<service>-<n>`, where n is the number of the container being created; external links as given.
    func containerLinks(for service: ComposeService, number: Int) -> [String] {
        var links: [String] = []
        for link in service.engine?.links ?? [] {
            let parts = link.split(separator: ":", maxSplits: 1).map(String.init)
            let name = parts[0], alias = parts.count > 1 ? parts[1] : parts[0]
            guard let linked = project.services[name] else { continue }
            for index in 1...max(linked.replicas, 1) {
                let container = Planner.containerName(project: project.name, service: linked, number: index)
                links += ["\(container):\(alias)", "\(container):\(name)-\(number)", "\(container):\(project.name)-\(name)-\(number)"]
            }
        }
        for link in service.engine?.externalLinks ?? [] {
            let parts = link.split(separator: ":", maxSplits: 1).map(String.init)
            links.append("\(parts[0]):\(parts.count > 1 ? parts[1] : parts[0])")
        }
        return links
    }

    /// The endpoint fields beyond aliases and addresses.
    func applyAttachment(_ attachment: ServiceNetwork, service: ComposeService, primary: Bool, to endpoint: inout [String: Any]) {
        if let ips = attachment.linkLocalIPs, !ips.isEmpty {
            var ipam = endpoint["IPAMConfig"] as? [String: Any] ?? [:]
            ipam["LinkLocalIPs"] = ips
            endpoint["IPAMConfig"] = ipam
        }
        var options = attachment.driverOpts ?? [:]
        if let name = attachment.interfaceName { options["com.docker.network.endpoint.ifname"] = name }
        if !options.isEmpty { endpoint["DriverOpts"] = options }
        if let priority = attachment.gwPriority { endpoint["GwPriority"] = priority }
        if apiMinor >= 44, let mac = attachment.macAddress ?? (primary ? service.engine?.macAddress : nil) { endpoint["MacAddress"] = mac }
    }

    /// What the services ask of the engine that its API version (`apiMinor`) cannot do, one message each.
    public func unsupportedByEngine() -> [String] {
        var problems: [String] = []
        let speaks = "this engine speaks API 1.\(apiMinor)"
        func need(_ minor: Int, _ what: String) {
            if apiMinor < minor { problems.append("\(what) is not supported on this engine: it needs Engine API 1.\(minor), \(speaks)") }
        }
        for name in project.services.keys.sorted() {
            let service = project.services[name]!
            if service.engine?.annotations?.isEmpty == false { need(43, "service \(name): annotations") }
            if service.volumes.contains(where: { $0.kind == .image }) { need(47, "service \(name): a volume of type image") }
            if service.volumes.contains(where: { $0.kind == .volume && $0.subpath != nil }) { need(45, "service \(name): volume.subpath") }
            if service.volumes.contains(where: { ["writable", "readonly"].contains($0.recursive ?? "") }) { need(44, "service \(name): bind.recursive writable or readonly") }
            for key in service.networks.keys.sorted() {
                let attachment = service.networks[key]!
                if attachment.macAddress != nil { need(44, "service \(name): networks.\(key).mac_address") }
                // Jarvis speaks at most API 1.47 (APIVersion.newestKnown); these came later, so no engine gets them from Jarvis yet.
                if attachment.gwPriority != nil { need(48, "service \(name): networks.\(key).gw_priority") }
                if attachment.interfaceName != nil { need(49, "service \(name): networks.\(key).interface_name") }
            }
        }
        for key in project.networks.keys.sorted() where project.networks[key]!.enableIPv4 == false {
            need(47, "network \(key): enable_ipv4: false")
        }
        return problems
    }
}
