/// One row of `GET /images/json`.
public struct ImageSummary: Codable, Sendable {
    public let id: String
    public let parentId: String?
    public let repoTags: [String]?
    public let repoDigests: [String]?
    public let created: Int64
    public let size: Int64
    public let containers: Int?
    public let labels: [String: String]?

    enum CodingKeys: String, CodingKey {
        case id = "Id", parentId = "ParentId", repoTags = "RepoTags", repoDigests = "RepoDigests"
        case created = "Created", size = "Size", containers = "Containers", labels = "Labels"
    }
}
