/// An image reference split the way the engine reads it: `[registry/]repository[:tag|@digest]`.
public struct ImageReference: Sendable, Equatable {
    public let registry: String
    public let repository: String
    public let tag: String

    /// Docker Hub's address in `X-Registry-Auth`, as the CLI sends it.
    public static let dockerHub = "docker.io"

    /// Parses `image` with an optional separate `tag`; nil when it cannot be a reference.
    public init?(_ image: String, tag explicitTag: String? = nil) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_.-/:@ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        guard !image.isEmpty, image.count <= 255, image.allSatisfy(allowed.contains), !image.contains(".."),
              !image.hasPrefix("/"), !image.hasSuffix("/"), !image.contains("//") else { return nil }
        var name = image
        var tag = "latest"
        if let at = name.firstIndex(of: "@") {
            tag = String(name[name.index(after: at)...])
            name = String(name[..<at])
        } else if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") {
            tag = String(name[name.index(after: colon)...])
            name = String(name[..<colon])
        }
        if let explicitTag, !explicitTag.isEmpty { tag = explicitTag }
        let first = name.split(separator: "/").first.map(String.init) ?? ""
        let hasRegistry = name.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
        registry = hasRegistry ? first : Self.dockerHub
        repository = name
        guard !tag.isEmpty, tag.count <= 128, !repository.isEmpty,
              tag.hasPrefix("sha256:") || tag.allSatisfy({ $0.isLetter || $0.isNumber || "_.-".contains($0) }),
              repository.lowercased() == repository else { return nil }
        self.tag = tag
    }

    public var description: String { tag.hasPrefix("sha256:") ? "\(repository)@\(tag)" : "\(repository):\(tag)" }
}
