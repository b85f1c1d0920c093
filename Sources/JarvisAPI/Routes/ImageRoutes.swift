import DockerEngine
import JarvisCore
import JarvisStore

enum ImageRoutes {
    struct Queued: Encodable {
        let taskId: String
        let task: TaskView
    }

    /// 202 with the queued task; the audit row names it.
    static func accepted(_ task: TaskRecord, _ context: RequestContext) throws -> HTTPResponse {
        context.audit?.params["task"] = task.id
        var response = try HTTPResponse.json(Queued(taskId: task.id, task: TaskView(task)), status: 202)
        response.headers.append(("Location", "/api/v1/tasks/\(task.id)"))
        return response
    }

    static func spooled(_ file: UploadedFile) -> SpooledUpload {
        SpooledUpload(path: file.path, filename: file.filename, size: file.size, format: file.format)
    }

    /// Build options beside an upload: JSON in the `options` form field or query parameter.
    static func decodeOptions(_ text: String?, _ context: RequestContext) throws -> BuildRequest {
        guard let text, !text.isEmpty else { throw JarvisError.invalidField("options", "give the build options (at least tags) as JSON") }
        do {
            return try StrictJSON.decode(BuildRequest.self, from: .init(text.utf8))
        } catch let error as JarvisError where error.code == "unknown_field" {
            throw JarvisError(400, error.code, "options.\(error.message)").field("options.\(error.field ?? "")")
        } catch {
            throw JarvisError.badRequest("options is not valid JSON build options", code: "malformed_json").field("options")
        }
    }

    struct TagBody: Decodable { let repository: String; let tag: String? }
    struct Removed: Encodable { let untagged: [String]; let deleted: [String] }
    struct Pruned: Encodable { let deleted: [String]; let spaceReclaimed: Int64 }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        return [
            Route("POST", "/api/v1/images/pull", access: .role(.operator_), audit: "image.pull") { context in
                let body = try context.decode(PullRequest.self)
                context.audit = AuditEvent(action: "image.pull", resourceType: "image", resourceName: body.image,
                                           params: ["tag": body.tag ?? "latest", "auth": body.auth == nil ? "none" : "given",
                                                    "save_credential": String(body.saveCredential ?? false)])
                return try accepted(try context.host.imageTasks.pull(body, by: context.principal!), context)
            },
            Route("POST", "/api/v1/images/build", access: .role(.operator_), audit: "image.build", upload: .buildContext) { context in
                let upload = context.request.upload
                let body: BuildRequest = upload == nil ? try context.decode(BuildRequest.self)
                    : try decodeOptions(upload?.fields["options"] ?? context.request.query["options"], context)
                context.audit = AuditEvent(action: "image.build", resourceType: "image", resourceName: body.tags?.first,
                                           params: ["source": upload.map { "upload \($0.filename) (\($0.size ?? 0) bytes)" } ?? (body.remote ?? "")])
                return try accepted(try context.host.imageTasks.build(body, upload: upload.map(spooled), by: context.principal!), context)
            },
            Route("POST", "/api/v1/images/load", access: .role(.operator_), audit: "image.load", upload: .imageArchive) { context in
                guard let upload = context.request.upload else {
                    throw JarvisError(415, "unsupported_media_type",
                                      "send the archive as the request body with ?filename=NAME.tar, or as the file field of a multipart form")
                }
                context.audit = AuditEvent(action: "image.load", resourceType: "image", resourceName: upload.filename,
                                           params: ["size": upload.size.map(String.init) ?? "streamed"])
                return try accepted(try context.host.imageTasks.load(spooled(upload), by: context.principal!), context)
            },
            Route("POST", "/api/v1/images/save", access: .role(.operator_), audit: "image.save") { context in
                let body = try context.decode(SaveRequest.self)
                context.audit = AuditEvent(action: "image.save", resourceType: "image", resourceName: body.images.joined(separator: ", "),
                                           params: ["gzip": String(body.gzip ?? false)])
                return try accepted(try await context.host.imageTasks.save(body, by: context.principal!), context)
            },
            Route("GET", "/api/v1/images", access: .role(.viewer), offlineReadable: true) { context in
                let dangling: Bool?
                switch context.request.query["dangling"] ?? "" {
                case "": dangling = nil
                default: dangling = try context.boolQuery("dangling", default: false)
                }
                let query = ImageQuery(
                    text: context.request.query["q"], dangling: dangling,
                    page: try context.intQuery("page", default: 1, range: 1...1_000_000),
                    pageSize: try context.intQuery("page_size", default: 50, range: 1...500))
                if context.request.query["host"] == "*" { return try .json(try await environment.hostManagement.images(query)) }
                try context.host.requireOnline()
                return try .json(try await context.host.images.list(query))
            },
            Route("GET", "/api/v1/images/{id}", access: .role(.viewer)) { context in
                try .json(try await context.host.images.find(context.parameter("id")))
            },
            Route("DELETE", "/api/v1/images/{id}", access: .role(.operator_), audit: "image.remove", readsBody: false) { context in
                let force = try context.boolQuery("force", default: false)
                context.audit = AuditEvent(action: "image.remove", resourceType: "image", resourceID: context.parameter("id"),
                                           params: ["force": String(force)])
                let image = try await context.host.images.find(context.parameter("id"))
                context.audit?.resourceID = image.id
                context.audit?.resourceName = image.tags.first
                let reference = context.parameter("id")
                let createdFrom = image.createdFrom(reference)
                if !force, image.tags.count > 1, image.tags.contains(reference), !createdFrom.isEmpty {
                    // The image stays, but these containers lose the name they were created from.
                    let names = createdFrom.map(\.name)
                    try environment.confirmations.require(
                        context.principal!, action: "image.untag", targets: [image.id, reference],
                        summary: "remove the tag \(reference); the image stays (as \(image.tags.filter { $0 != reference }.joined(separator: ", "))) "
                            + "but \(names.count) container(s) created from \(reference) will show only its id: \(names.prefix(10).joined(separator: ", "))"
                            + (names.count > 10 ? " and \(names.count - 10) more" : ""),
                        presented: context.request.header(ConfirmationService.header))
                }
                if force {
                    let users = image.containers.map(\.name)
                    try environment.confirmations.require(
                        context.principal!, action: "image.remove+force", targets: [image.id],
                        summary: "force-remove image \(image.tags.first ?? String(image.id.prefix(19)))"
                            + (users.isEmpty ? "" : " used by \(users.joined(separator: ", "))"),
                        presented: context.request.header(ConfirmationService.header))
                }
                let items = try await context.host.images.remove(context.parameter("id"), image: image, force: force)
                return try .json(Removed(untagged: items.compactMap(\.untagged), deleted: items.compactMap(\.deleted)))
            },
            Route("POST", "/api/v1/images/{id}/tag", access: .role(.operator_), audit: "image.tag") { context in
                let body = try context.decode(TagBody.self)
                let tag = body.tag ?? "latest"
                context.audit = AuditEvent(action: "image.tag", resourceType: "image", resourceID: context.parameter("id"),
                                           params: ["repository": body.repository, "tag": tag])
                try await context.host.images.tag(context.parameter("id"), repository: body.repository, tag: tag)
                return try .json(try await context.host.images.find("\(body.repository):\(tag)"), status: 201)
            },
            Route("POST", "/api/v1/images/prune", access: .role(.operator_), audit: "image.prune", long: true, readsBody: false) { context in
                context.audit = AuditEvent(action: "image.prune", resourceType: "image")
                let dangling = try await context.host.images.list(ImageQuery(dangling: true, pageSize: 100_000))
                try environment.confirmations.require(
                    context.principal!, action: "image.prune", targets: dangling.items.map(\.id).sorted(),
                    summary: "remove \(dangling.total) dangling image(s) not used by any container",
                    presented: context.request.header(ConfirmationService.header))
                let report = try await context.host.images.pruneDangling()
                context.audit?.params = ["reclaimed_bytes": String(report.spaceReclaimed)]
                return try .json(Pruned(deleted: (report.imagesDeleted ?? []).compactMap(\.deleted), spaceReclaimed: report.spaceReclaimed))
            },
        ]
    }
}
