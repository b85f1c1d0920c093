extension DockerClient {
    /// `GET /images/json`.
    public func images(all: Bool = false) async throws -> [ImageSummary] {
        try await decode([ImageSummary].self, EngineRequest("GET", "/images/json", query: [("all", all ? "1" : "0")]))
    }
}
