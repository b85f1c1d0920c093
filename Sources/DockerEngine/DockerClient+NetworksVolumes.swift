import Foundation

extension DockerClient {
    /// `GET /volumes`, with engine filters such as `["label": ["a=b"]]`.
    public func volumes(filters: [String: [String]] = [:]) async throws -> [VolumeSummary] {
        struct Listing: Decodable { let Volumes: [VolumeSummary]? }
        let query = filters.isEmpty ? [] : [("filters", try Self.encodeFilters(filters))]
        return try await decode(Listing.self, EngineRequest("GET", "/volumes", query: query)).Volumes ?? []
    }

    /// `POST /volumes/create` with a raw engine body.
    public func createVolume(body: [String: Any]) async throws -> VolumeSummary {
        try await decode(VolumeSummary.self, EngineRequest("POST", "/volumes/create", body: try Self.json(body)))
    }

    /// `DELETE /volumes/{name}`; the engine refuses (409) while a container uses it.
    public func removeVolume(_ name: String, force: Bool = false) async throws {
        _ = try await send(EngineRequest("DELETE", "/volumes/\(try Self.validID(name))", query: [("force", force ? "1" : "0")]))
    }

    static func json(_ body: [String: Any]) throws -> [UInt8] {
        guard JSONSerialization.isValidJSONObject(body) else {
            throw EngineError(.invalidArgument, message: "the request body is not valid JSON")
        }
        return [UInt8](try JSONSerialization.data(withJSONObject: body))
    }
}

extension DockerClient {
    /// `GET /containers/{id}/json`, `/volumes/{name}` or `/networks/{id}` as untyped JSON, nil when the engine has none:
    /// for rules that must see every field the engine keeps.
    public func inspectJSON(_ kind: InspectKind, _ idOrName: String) async throws -> [String: Any]? {
        do {
            let response = try await send(EngineRequest("GET", "/\(kind.rawValue)/\(try Self.validID(idOrName))" + (kind == .container ? "/json" : "")))
            return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        } catch let error as EngineError where error.code == .notFound {
            return nil
        }
    }

    public enum InspectKind: String, Sendable { case container = "containers", volume = "volumes", network = "networks" }
}
