extension DockerClient {
    /// `GET /images/json`.
    public func images(all: Bool = false) async throws -> [ImageSummary] {
        try await decode([ImageSummary].self, EngineRequest("GET", "/images/json", query: [("all", all ? "1" : "0")]))
    }
}

extension DockerClient {
    /// `GET /images/{name}/json`.
    public func image(_ reference: String) async throws -> ImageInspect {
        try await decode(ImageInspect.self, EngineRequest("GET", "/images/\(try Self.validImageReference(reference))/json"))
    }

    /// Image references go into URL paths: letters, digits and `._-/:@` only, no `..`.
    static func validImageReference(_ reference: String) throws -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/:@")
        guard !reference.isEmpty, reference.count <= 512, reference.allSatisfy(allowed.contains),
              !reference.contains(".."), !reference.hasPrefix("/"), !reference.contains("//") else {
            throw EngineError(.invalidArgument, message: "invalid image reference: \(reference.prefix(80))")
        }
        return reference
    }
}
