import Foundation

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

    /// `GET /images/{name}/json` as the engine sent it (its `Config` tells what a container inherited from it).
    public func imageJSON(_ reference: String) async throws -> [String: Any] {
        let response = try await send(EngineRequest("GET", "/images/\(try Self.validImageReference(reference))/json"))
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw EngineError(.decoding, status: response.status, message: "the engine's image inspect is not a JSON object")
        }
        return object
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

/// One line of `DELETE /images/{name}`'s answer.
public struct ImageDeleteItem: Decodable, Sendable {
    public let untagged: String?
    public let deleted: String?

    enum CodingKeys: String, CodingKey { case untagged = "Untagged", deleted = "Deleted" }
}

/// `POST /images/prune`'s answer.
public struct ImagePruneReport: Decodable, Sendable {
    public let imagesDeleted: [ImageDeleteItem]?
    public let spaceReclaimed: Int64

    enum CodingKeys: String, CodingKey { case imagesDeleted = "ImagesDeleted", spaceReclaimed = "SpaceReclaimed" }
}

extension DockerClient {
    /// `DELETE /images/{name}`; `force` also removes an image used by stopped containers or tagged more than once.
    public func removeImage(_ reference: String, force: Bool = false) async throws -> [ImageDeleteItem] {
        try await decode([ImageDeleteItem].self, EngineRequest("DELETE", "/images/\(try Self.validImageReference(reference))",
                                                               query: [("force", force ? "1" : "0")]))
    }

    /// `POST /images/{name}/tag`.
    public func tagImage(_ reference: String, repository: String, tag: String) async throws {
        _ = try await send(EngineRequest("POST", "/images/\(try Self.validImageReference(reference))/tag",
                                         query: [("repo", repository), ("tag", tag)]))
    }

    /// `POST /images/prune` of dangling images only.
    public func pruneDanglingImages() async throws -> ImagePruneReport {
        try await decode(ImagePruneReport.self, EngineRequest("POST", "/images/prune",
                                                              query: [("filters", try Self.encodeFilters(["dangling": ["true"]]))],
                                                              timeout: 600))
    }
}
