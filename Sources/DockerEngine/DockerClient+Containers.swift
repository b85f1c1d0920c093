import Foundation

/// Parameters of `GET /containers/json`.
public struct ListContainersOptions: Sendable {
    public var all: Bool
    /// Engine filters such as `["status": ["running"], "label": ["a=b"]]`.
    public var filters: [String: [String]]

    public init(all: Bool = true, filters: [String: [String]] = [:]) {
        self.all = all
        self.filters = filters
    }
}

extension DockerClient {
    /// `GET /containers/json`.
    public func containers(_ options: ListContainersOptions = .init()) async throws -> [ContainerSummary] {
        var query = [("all", options.all ? "1" : "0")]
        if !options.filters.isEmpty { query.append(("filters", try Self.encodeFilters(options.filters))) }
        return try await decode([ContainerSummary].self, EngineRequest("GET", "/containers/json", query: query))
    }

    /// `GET /containers/{id}/json`; `size` adds the writable layer and root fs sizes (slower).
    public func container(_ id: String, size: Bool = false) async throws -> ContainerDetails {
        try await decode(ContainerDetails.self, EngineRequest("GET", "/containers/\(try Self.validID(id))/json",
                                                              query: size ? [("size", "1")] : []))
    }

    /// `GET /containers/{id}/json` as the engine sent it: every field, for a faithful re-create.
    public func containerJSON(_ id: String) async throws -> [String: Any] {
        let response = try await send(EngineRequest("GET", "/containers/\(try Self.validID(id))/json"))
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw EngineError(.decoding, status: response.status, message: "the engine's container inspect is not a JSON object")
        }
        return object
    }

    /// `POST /containers/{id}/pause`.
    public func pauseContainer(_ id: String) async throws {
        _ = try await send(EngineRequest("POST", "/containers/\(try Self.validID(id))/pause"))
    }

    /// `POST /containers/{id}/unpause`.
    public func unpauseContainer(_ id: String) async throws {
        _ = try await send(EngineRequest("POST", "/containers/\(try Self.validID(id))/unpause"))
    }

    /// `POST /containers/{id}/rename`.
    public func renameContainer(_ id: String, to name: String) async throws {
        _ = try await send(EngineRequest("POST", "/containers/\(try Self.validID(id))/rename", query: [("name", name)]))
    }

    /// One `GET /containers/{id}/stats?stream=0&one-shot=1` sample (no pre-sample: callers keep their own).
    public func containerStats(_ id: String) async throws -> ContainerStatsSample {
        try await decode(ContainerStatsSample.self, EngineRequest("GET", "/containers/\(try Self.validID(id))/stats",
                                                                  query: [("stream", "0"), ("one-shot", "1")], timeout: 20))
    }

    /// `POST /containers/{id}/start`; starting a running container succeeds.
    public func startContainer(_ id: String) async throws {
        _ = try await send(EngineRequest("POST", "/containers/\(try Self.validID(id))/start"))
    }

    /// `POST /containers/{id}/stop`; the engine kills after `timeout` seconds.
    public func stopContainer(_ id: String, timeout: Int? = nil) async throws {
        _ = try await send(EngineRequest("POST", "/containers/\(try Self.validID(id))/stop",
                                         query: timeout.map { [("t", String($0))] } ?? [],
                                         timeout: (timeout ?? 10) + 60))
    }

    /// `POST /containers/{id}/restart`.
    public func restartContainer(_ id: String, timeout: Int? = nil) async throws {
        _ = try await send(EngineRequest("POST", "/containers/\(try Self.validID(id))/restart",
                                         query: timeout.map { [("t", String($0))] } ?? [],
                                         timeout: (timeout ?? 10) + 60))
    }

    /// `POST /containers/{id}/kill` with a signal name or number.
    public func killContainer(_ id: String, signal: String = "SIGKILL") async throws {
        _ = try await send(EngineRequest("POST", "/containers/\(try Self.validID(id))/kill", query: [("signal", signal)]))
    }

    /// `DELETE /containers/{id}`.
    public func removeContainer(_ id: String, force: Bool = false, volumes: Bool = false) async throws {
        _ = try await send(EngineRequest("DELETE", "/containers/\(try Self.validID(id))",
                                         query: [("force", force ? "1" : "0"), ("v", volumes ? "1" : "0")]))
    }

    /// `POST /containers/create` with a raw engine body; returns the new id.
    public func createContainer(name: String?, body: [String: Any]) async throws -> String {
        struct Created: Decodable { let Id: String }
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await decode(Created.self, EngineRequest("POST", "/containers/create",
                                                            query: name.map { [("name", $0)] } ?? [],
                                                            body: [UInt8](data))).Id
    }

    static func encodeFilters(_ filters: [String: [String]]) throws -> String {
        String(decoding: try JSONEncoder().encode(filters), as: UTF8.self)
    }

    /// Ids and names go into URL paths: refuse anything that could change the path.
    static func validID(_ id: String) throws -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        guard !id.isEmpty, id.count <= 255, id.allSatisfy(allowed.contains), id != ".", id != ".." else {
            throw EngineError(.invalidArgument, message: "invalid container id or name: \(id.prefix(80))")
        }
        return id
    }
}
