import DockerEngine
import Foundation
import JarvisStore

/// An image as the list shows it, with the containers that use it.
public struct ImageView: Encodable, Sendable {
    public let id: String
    public let tags: [String]
    public let digests: [String]
    public let size: Int64
    public let created: Int64
    public let dangling: Bool
    public let containers: [UsingContainer]
    /// The host's name, in lists that span hosts.
    public var host: String?

    public struct UsingContainer: Encodable, Sendable {
        public let id: String
        public let name: String
        public let state: String
        /// The name the container was created from (a tag of this image, or its id).
        public let image: String
    }

    /// The containers created from `reference` by that name: untagging it leaves them showing a bare id.
    public func createdFrom(_ reference: String) -> [UsingContainer] {
        let wanted = ImageView.canonical(reference)
        return containers.filter { ImageView.canonical($0.image) == wanted }
    }

    /// `name` and `name:latest` are one reference; `docker.io/library/` is implied.
    static func canonical(_ reference: String) -> String {
        var name = reference
        for prefix in ["docker.io/library/", "docker.io/", "index.docker.io/library/"] where name.hasPrefix(prefix) {
            name = String(name.dropFirst(prefix.count))
            break
        }
        let lastSlash = name.lastIndex(of: "/") ?? name.startIndex
        if !name.contains("@"), name[lastSlash...].firstIndex(of: ":") == nil { name += ":latest" }
        return name
    }
}

/// Filters and paging of the image list.
public struct ImageQuery: Sendable {
    public var text: String?
    /// true: only untagged images; false: only tagged ones; nil: both.
    public var dangling: Bool?
    public var page: Int
    public var pageSize: Int

    public init(text: String? = nil, dangling: Bool? = nil, page: Int = 1, pageSize: Int = 50) {
        self.text = text
        self.dangling = dangling
        self.page = page
        self.pageSize = pageSize
    }
}

/// Images: list with usage, delete (refused while containers use it), tag, prune.
public final class ImageService: Sendable {
    let docker: DockerClient

    public init(docker: DockerClient) { self.docker = docker }

    public func list(_ query: ImageQuery) async throws -> Page<ImageView> {
        let (images, users) = try await withEngineErrors {
            async let images = docker.images()
            async let containers = docker.containers(ListContainersOptions(all: true))
            return (try await images, try await containers)
        }
        var byImage: [String: [ImageView.UsingContainer]] = [:]
        for container in users {
            guard let image = container.imageID else { continue }
            byImage[image, default: []].append(.init(id: container.id, name: container.name, state: container.state, image: container.image))
        }
        var views = images.map { image -> ImageView in
            let tags = (image.repoTags ?? []).filter { $0 != "<none>:<none>" }
            return ImageView(id: image.id, tags: tags, digests: (image.repoDigests ?? []).filter { $0 != "<none>@<none>" },
                             size: image.size, created: image.created, dangling: tags.isEmpty,
                             containers: (byImage[image.id] ?? []).sorted { $0.name < $1.name })
        }
        if let dangling = query.dangling { views = views.filter { $0.dangling == dangling } }
        if let needle = query.text?.lowercased(), !needle.isEmpty {
            views = views.filter { view in
                view.id.lowercased().contains(needle) || view.tags.contains { $0.lowercased().contains(needle) }
            }
        }
        views.sort { ($0.tags.first ?? "~" + $0.id) < ($1.tags.first ?? "~" + $1.id) }
        let start = min((query.page - 1) * query.pageSize, views.count)
        return Page(items: Array(views[start..<min(start + query.pageSize, views.count)]), total: views.count,
                    page: query.page, pageSize: query.pageSize)
    }

    /// The image with its users, or 404.
    public func find(_ reference: String) async throws -> ImageView {
        let inspected = try await withEngineErrors { try await docker.image(reference) }
        guard let view = try await list(ImageQuery(pageSize: 100_000)).items.first(where: { $0.id == inspected.id }) else {
            throw JarvisError.notFound("no image \(reference)")
        }
        return view
    }

    /// Deletes what `reference` names: one tag of an image with several (an untag), or the
    /// image. While containers use an image that would go, the answer is 409 naming them,
    /// unless `force` (which the engine still refuses for running containers).
    public func remove(_ reference: String, image: ImageView, force: Bool) async throws -> [ImageDeleteItem] {
        let untagOnly = image.tags.count > 1 && image.tags.contains(reference)
        if !untagOnly && !image.containers.isEmpty && !force {
            let names = image.containers.map { "\($0.name) (\($0.state))" }.joined(separator: ", ")
            throw JarvisError(409, "image_in_use", "the image is used by \(image.containers.count) container(s): \(names)")
        }
        do {
            // By the name given: removing by id with force would drop every tag of the image.
            return try await docker.removeImage(reference, force: force)
        } catch let error as EngineError where error.code == .conflict {
            throw JarvisError(409, "image_in_use", error.message)
        } catch let error as EngineError {
            throw JarvisError.from(error)
        }
    }

    /// Adds `repository:tag` to an image.
    public func tag(_ reference: String, repository: String, tag: String) async throws {
        guard repository.count <= 255,
              repository.range(of: #"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$"#, options: .regularExpression) != nil else {
            throw JarvisError.invalidField("repository", "must be lower-case letters, digits, . _ - and / (with an optional registry:port)")
        }
        guard tag.range(of: #"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"#, options: .regularExpression) != nil else {
            throw JarvisError.invalidField("tag", "must be 1-128 letters, digits, _ . - not starting with . or -")
        }
        try await withEngineErrors { try await docker.tagImage(reference, repository: repository, tag: tag) }
    }

    public func pruneDangling() async throws -> ImagePruneReport {
        try await withEngineErrors { try await docker.pruneDanglingImages() }
    }
}
