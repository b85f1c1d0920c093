extension DockerClient {
    /// `GET /_ping`: true when the engine answers.
    public func ping() async throws -> Bool {
        let response = try await send(EngineRequest("GET", "/_ping", timeout: 10, versioned: false))
        return String(decoding: response.body, as: UTF8.self) == "OK"
    }

    /// `GET /version`.
    public func version() async throws -> SystemVersion {
        try await decode(SystemVersion.self, EngineRequest("GET", "/version", timeout: 10))
    }

    /// `GET /info`.
    public func info() async throws -> SystemInfo {
        try await decode(SystemInfo.self, EngineRequest("GET", "/info", timeout: 30))
    }
}

extension DockerClient {
    /// `GET /system/df` (can take seconds on a large host).
    public func diskUsage() async throws -> DiskUsage {
        try await decode(DiskUsage.self, EngineRequest("GET", "/system/df", timeout: 120))
    }

    /// `GET /networks/{id}`.
    public func network(_ idOrName: String) async throws -> NetworkSummary {
        try await decode(NetworkSummary.self, EngineRequest("GET", "/networks/\(try Self.validID(idOrName))"))
    }

    /// `GET /networks`, with engine filters such as `["label": ["a=b"]]`.
    public func networks(filters: [String: [String]] = [:]) async throws -> [NetworkSummary] {
        let query = filters.isEmpty ? [] : [("filters", try Self.encodeFilters(filters))]
        return try await decode([NetworkSummary].self, EngineRequest("GET", "/networks", query: query))
    }
}
