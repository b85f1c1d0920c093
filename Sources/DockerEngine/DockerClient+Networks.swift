import Foundation

extension DockerClient {
    /// `POST /networks/create` with a raw engine body; returns the new id.
    public func createNetwork(body: [String: Any]) async throws -> String {
        struct Created: Decodable { let Id: String }
        return try await decode(Created.self, EngineRequest("POST", "/networks/create", body: try Self.json(body))).Id
    }

    /// `DELETE /networks/{id}`.
    public func removeNetwork(_ idOrName: String) async throws {
        _ = try await send(EngineRequest("DELETE", "/networks/\(try Self.validID(idOrName))"))
    }

    /// `POST /networks/{id}/connect`: one more network for a created container.
    public func connectNetwork(_ idOrName: String, container: String, endpoint: [String: Any]) async throws {
        let body: [String: Any] = ["Container": try Self.validID(container), "EndpointConfig": endpoint]
        _ = try await send(EngineRequest("POST", "/networks/\(try Self.validID(idOrName))/connect", body: try Self.json(body)))
    }

    /// `POST /networks/{id}/disconnect`; `force` also drops the endpoint of a container the engine lost track of.
    public func disconnectNetwork(_ idOrName: String, container: String, force: Bool) async throws {
        let body: [String: Any] = ["Container": try Self.validID(container), "Force": force]
        _ = try await send(EngineRequest("POST", "/networks/\(try Self.validID(idOrName))/disconnect", body: try Self.json(body)))
    }

    /// `GET /networks` with every field the pages show.
    public func networkList() async throws -> [NetworkInspect] {
        try await decode([NetworkInspect].self, EngineRequest("GET", "/networks"))
    }

    /// `GET /networks/{id}`, with its running endpoints.
    public func inspectNetwork(_ idOrName: String) async throws -> NetworkInspect {
        try await decode(NetworkInspect.self, EngineRequest("GET", "/networks/\(try Self.validID(idOrName))"))
    }

    /// `POST /networks/prune`: removes networks no running container uses; the engine's own list of what went.
    public func pruneNetworks() async throws -> [String] {
        try await decode(NetworkPruneReport.self, EngineRequest("POST", "/networks/prune", timeout: 120)).networksDeleted ?? []
    }

    /// Every container's networks with its addresses and aliases, stopped containers included
    /// (a network's own inspect only lists running endpoints).
    public func networkAttachments() async throws -> [NetworkAttachment] {
        let response = try await send(EngineRequest("GET", "/containers/json", query: [("all", "1")]))
        let list = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [[String: Any]] ?? []
        var attachments: [NetworkAttachment] = []
        for container in list {
            let id = container["Id"] as? String ?? ""
            let name = ((container["Names"] as? [String])?.first ?? id).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let networks = (container["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: Any] ?? [:]
            for (networkName, value) in networks {
                let endpoint = value as? [String: Any] ?? [:]
                // A stopped container has no address yet; its fixed one (IPAMConfig) is what it will get.
                let fixed = endpoint["IPAMConfig"] as? [String: Any] ?? [:]
                let v4 = nonEmpty(endpoint["IPAddress"]) ?? nonEmpty(fixed["IPv4Address"]) ?? ""
                let v6 = nonEmpty(endpoint["GlobalIPv6Address"]) ?? nonEmpty(fixed["IPv6Address"]) ?? ""
                attachments.append(NetworkAttachment(
                    containerID: id, containerName: name, state: container["State"] as? String ?? "",
                    networkID: endpoint["NetworkID"] as? String ?? "", networkName: networkName,
                    ipv4Address: v4.isEmpty ? nil : v4, ipv6Address: v6.isEmpty ? nil : v6,
                    aliases: endpoint["Aliases"] as? [String] ?? []))
            }
        }
        return attachments
    }

    private func nonEmpty(_ value: Any?) -> String? {
        guard let text = value as? String, !text.isEmpty else { return nil }
        return text
    }

    /// Whether this engine is a Swarm manager (`Swarm.ControlAvailable` of `GET /info`): overlay networks need one.
    public func isSwarmManager() async throws -> Bool {
        struct Info: Decodable {
            struct Swarm: Decodable { let ControlAvailable: Bool? }
            let Swarm: Swarm?
        }
        return try await decode(Info.self, EngineRequest("GET", "/info", timeout: 30)).Swarm?.ControlAvailable ?? false
    }
}
