import DockerEngine
import JarvisCore

enum ImageRoutes {
    struct TagBody: Decodable { let repository: String; let tag: String? }
    struct Removed: Encodable { let untagged: [String]; let deleted: [String] }
    struct Pruned: Encodable { let deleted: [String]; let spaceReclaimed: Int64 }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let images = environment.images
        return [
            Route("GET", "/api/v1/images", access: .role(.viewer)) { context in
                let dangling: Bool?
                switch context.request.query["dangling"] ?? "" {
                case "": dangling = nil
                default: dangling = try context.boolQuery("dangling", default: false)
                }
                return try .json(try await images.list(ImageQuery(
                    text: context.request.query["q"], dangling: dangling,
                    page: try context.intQuery("page", default: 1, range: 1...1_000_000),
                    pageSize: try context.intQuery("page_size", default: 50, range: 1...500))))
            },
            Route("GET", "/api/v1/images/{id}", access: .role(.viewer)) { context in
                try .json(try await images.find(context.parameter("id")))
            },
            Route("DELETE", "/api/v1/images/{id}", access: .role(.operator_), audit: "image.remove") { context in
                let force = try context.boolQuery("force", default: false)
                context.audit = AuditEvent(action: "image.remove", resourceType: "image", resourceID: context.parameter("id"),
                                           params: ["force": String(force)])
                let image = try await images.find(context.parameter("id"))
                context.audit?.resourceID = image.id
                context.audit?.resourceName = image.tags.first
                if force {
                    let users = image.containers.map(\.name)
                    try environment.confirmations.require(
                        context.principal!, action: "image.remove+force", targets: [image.id],
                        summary: "force-remove image \(image.tags.first ?? String(image.id.prefix(19)))"
                            + (users.isEmpty ? "" : " used by \(users.joined(separator: ", "))"),
                        presented: context.request.header(ConfirmationService.header))
                }
                let items = try await images.remove(context.parameter("id"), image: image, force: force)
                return try .json(Removed(untagged: items.compactMap(\.untagged), deleted: items.compactMap(\.deleted)))
            },
            Route("POST", "/api/v1/images/{id}/tag", access: .role(.operator_), audit: "image.tag") { context in
                let body = try context.decode(TagBody.self)
                let tag = body.tag ?? "latest"
                context.audit = AuditEvent(action: "image.tag", resourceType: "image", resourceID: context.parameter("id"),
                                           params: ["repository": body.repository, "tag": tag])
                try await images.tag(context.parameter("id"), repository: body.repository, tag: tag)
                return try .json(try await images.find("\(body.repository):\(tag)"), status: 201)
            },
            Route("POST", "/api/v1/images/prune", access: .role(.operator_), audit: "image.prune") { context in
                context.audit = AuditEvent(action: "image.prune", resourceType: "image")
                let dangling = try await images.list(ImageQuery(dangling: true, pageSize: 100_000))
                try environment.confirmations.require(
                    context.principal!, action: "image.prune", targets: dangling.items.map(\.id).sorted(),
                    summary: "remove \(dangling.total) dangling image(s) not used by any container",
                    presented: context.request.header(ConfirmationService.header))
                let report = try await images.pruneDangling()
                context.audit?.params = ["reclaimed_bytes": String(report.spaceReclaimed)]
                return try .json(Pruned(deleted: (report.imagesDeleted ?? []).compactMap(\.deleted), spaceReclaimed: report.spaceReclaimed))
            },
        ]
    }
}
