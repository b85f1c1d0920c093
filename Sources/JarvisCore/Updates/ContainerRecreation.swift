import Foundation

/// The create request that makes a container again with another image and everything else as it
/// was: name, env, ports, mounts (anonymous volumes too, by name), networks with aliases and fixed
/// addresses, labels, restart policy, limits, healthcheck. Fields the container only had because its
/// old image set them (env defaults, command, labels, exposed ports, volumes, workdir, user,
/// healthcheck) are left out, so the new image's own defaults apply, as `docker run` would give them.
public struct ContainerRecreation {
    public let name: String
    public let body: [String: Any]
    /// Networks beyond the first, connected after the create and before the start (engines before
    /// API 1.44 take one endpoint at create).
    public let laterNetworks: [(name: String, endpoint: [String: Any])]
    public let wasRunning: Bool

    /// `inspect` is `GET /containers/{id}/json`; `oldImageConfig` the `Config` of the image it runs.
    public init(inspect: [String: Any], oldImageConfig: [String: Any], image: String) throws {
        guard let id = inspect["Id"] as? String, let rawName = inspect["Name"] as? String,
              var config = inspect["Config"] as? [String: Any], var hostConfig = inspect["HostConfig"] as? [String: Any] else {
            throw TaskFailure("the container's inspect data is incomplete")
        }
        name = rawName.hasPrefix("/") ? String(rawName.dropFirst()) : rawName
        wasRunning = ((inspect["State"] as? [String: Any])?["Running"] as? Bool) ?? false

        config["Image"] = image
        if let hostname = config["Hostname"] as? String, id.hasPrefix(hostname) { config.removeValue(forKey: "Hostname") }
        let imageEnv = Set(oldImageConfig["Env"] as? [String] ?? [])
        if let env = config["Env"] as? [String] { config["Env"] = env.filter { !imageEnv.contains($0) } }
        let sameEntrypoint = Self.same(config["Entrypoint"], oldImageConfig["Entrypoint"])
        if sameEntrypoint {
            config.removeValue(forKey: "Entrypoint")
            if Self.same(config["Cmd"], oldImageConfig["Cmd"]) { config.removeValue(forKey: "Cmd") }
        }
        for key in ["WorkingDir", "User", "StopSignal", "Healthcheck"] where Self.same(config[key], oldImageConfig[key]) {
            config.removeValue(forKey: key)
        }
        for key in ["Labels", "ExposedPorts", "Volumes"] {
            guard var own = config[key] as? [String: Any] else { continue }
            let inherited = oldImageConfig[key] as? [String: Any] ?? [:]
            for (entry, value) in inherited where own[entry] != nil && Self.same(own[entry], value) { own.removeValue(forKey: entry) }
            config[key] = own
        }

        // Anonymous volumes (and named ones the image declared) are mounted by name: their data stays.
        var declaredTargets = Set<String>()
        for bind in hostConfig["Binds"] as? [String] ?? [] {
            let parts = bind.split(separator: ":")
            if parts.count >= 2 { declaredTargets.insert(String(parts[1])) }
        }
        var mounts = hostConfig["Mounts"] as? [[String: Any]] ?? []
        for mount in mounts { if let target = mount["Target"] as? String { declaredTargets.insert(target) } }
        for mount in inspect["Mounts"] as? [[String: Any]] ?? [] {
            guard mount["Type"] as? String == "volume", let volume = mount["Name"] as? String,
                  let destination = mount["Destination"] as? String, !declaredTargets.contains(destination) else { continue }
            var entry: [String: Any] = ["Type": "volume", "Source": volume, "Target": destination]
            if mount["RW"] as? Bool == false { entry["ReadOnly"] = true }
            mounts.append(entry)
            declaredTargets.insert(destination)
        }
        if !mounts.isEmpty { hostConfig["Mounts"] = mounts }

        // Networks: the one of NetworkMode at create, the others after; endpoint ids and addresses the engine gave are not copied.
        let networks = (inspect["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: Any] ?? [:]
        let mode = hostConfig["NetworkMode"] as? String ?? "default"
        var first: (String, [String: Any])?
        var later: [(name: String, endpoint: [String: Any])] = []
        for networkName in networks.keys.sorted() {
            guard let settings = networks[networkName] as? [String: Any] else { continue }
            var endpoint: [String: Any] = [:]
            if let ipam = settings["IPAMConfig"] as? [String: Any], !ipam.isEmpty { endpoint["IPAMConfig"] = ipam }
            let aliases = (settings["Aliases"] as? [String] ?? []).filter { !id.hasPrefix($0) }
            if !aliases.isEmpty { endpoint["Aliases"] = aliases }
            if let links = settings["Links"] as? [String], !links.isEmpty { endpoint["Links"] = links }
            if let options = settings["DriverOpts"] as? [String: Any], !options.isEmpty { endpoint["DriverOpts"] = options }
            if networkName == mode || (first == nil && mode == "default" && networkName == "bridge") {
                first = (networkName, endpoint)
            } else if !mode.hasPrefix("container:") && mode != "host" && mode != "none" {
                later.append((networkName, endpoint))
            }
        }
        var body = config
        body["HostConfig"] = hostConfig
        if let (networkName, endpoint) = first, !endpoint.isEmpty {
            body["NetworkingConfig"] = ["EndpointsConfig": [networkName: endpoint]]
        }
        self.body = body
        laterNetworks = later
    }

    /// JSON-equal, with nil and NSNull alike.
    static func same(_ a: Any?, _ b: Any?) -> Bool {
        let left = a is NSNull ? nil : a
        let right = b is NSNull ? nil : b
        switch (left, right) {
        case (nil, nil): return true
        case (nil, _), (_, nil): return false
        case let (l?, r?):
            guard let x = try? JSONSerialization.data(withJSONObject: ["v": l], options: .sortedKeys),
                  let y = try? JSONSerialization.data(withJSONObject: ["v": r], options: .sortedKeys) else { return false }
            return x == y
        }
    }
}
