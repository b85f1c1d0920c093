import DockerEngine
import Foundation
import JarvisCore

enum VolumeRoutes {
    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        [
            Route("GET", "/api/v1/volumes", access: .role(.viewer)) { context in
                try .json(try await context.host.volumes.list(try listQuery(context)))
            },
            Route("POST", "/api/v1/volumes", access: .role(.operator_), audit: "volume.create") { context in
                let request = try context.decode(VolumeCreateRequest.self)
                context.audit = AuditEvent(action: "volume.create", resourceType: "volume", resourceName: request.name,
                                           params: ["driver": request.driver ?? "local", "mount": request.mount?.type ?? "none"])
                let spec = try VolumeSpec.validate(request)
                context.audit?.params["options"] = VolumeSpec.masked(spec.options).sorted { $0.key < $1.key }
                    .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                // Early, on the field; the engine client's host-access policy is the guarantee.
                if spec.bindsHostFolder, context.principal?.role != .admin {
                    throw JarvisError(403, "host_access_denied", "mount: a bind of a host folder needs the admin role").field("mount")
                }
                return try .json(try await context.host.volumes.create(spec), status: 201)
            },
            Route("POST", "/api/v1/volumes/prune", access: .role(.operator_), audit: "volume.prune", long: true, readsBody: false) { context in
                try await DiskUsageRoutes.prune("volumes", context, environment, action: "volume.prune")
            },
            Route("GET", "/api/v1/volumes/{name}", access: .role(.viewer)) { context in
                try .json(try await context.host.volumes.details(context.parameter("name")))
            },
            Route("DELETE", "/api/v1/volumes/{name}", access: .role(.operator_), audit: "volume.remove", readsBody: false) { context in
                context.audit = AuditEvent(action: "volume.remove", resourceType: "volume", resourceID: context.parameter("name"),
                                           resourceName: context.parameter("name"))
                if context.request.query["force"] != nil {
                    throw JarvisError(400, "invalid_parameter", "force: volumes have no force; remove the containers that use it first")
                        .field("force")
                }
                let volume = try await context.host.volumes.details(context.parameter("name"))
                let size = volume.size.map { " (\(DiskUsageRoutes.bytes($0)))" } ?? ""
                if volume.usedBy.isEmpty {
                    try environment.confirmations.require(context.principal!, action: "volume.remove", targets: [volume.name],
                                                          summary: "remove volume \(volume.name)\(size) and all its data",
                                                          presented: context.request.header(ConfirmationService.header))
                }
                try await context.host.volumes.remove(volume)
                return .noContent()
            },
            Route("GET", "/api/v1/volumes/{name}/files", access: .role(.viewer), long: true) { context in
                let path = try VolumePath(context.request.query["path"])
                let volume = try await context.host.volumes.details(context.parameter("name"))
                return try .json(try await context.host.volumeBrowser.list(volume.name, path))
            },
            Route("GET", "/api/v1/volumes/{name}/files/download", access: .role(.viewer), long: true) { context in
                try await download(context)
            },
            Route("POST", "/api/v1/volumes/{name}/files", access: .role(.operator_), audit: "volume.upload", upload: .volumeFile) { context in
                try await upload(context)
            },
        ]
    }

    static func listQuery(_ context: RequestContext) throws -> VolumeQuery {
        let parameters = context.request.query
        var query = VolumeQuery()
        query.text = parameters["q"]
        query.driver = parameters["driver"]
        query.stack = parameters["stack"]
        if let text = parameters["dangling"], !text.isEmpty { query.dangling = try context.boolQuery("dangling", default: false) }
        let sortText = parameters["sort"].flatMap { $0.isEmpty ? nil : $0 } ?? "name"
        guard let sort = VolumeQuery.Sort(rawValue: sortText) else {
            throw JarvisError.badRequest("sort must be one of \(VolumeQuery.Sort.allCases.map(\.rawValue).joined(separator: ", "))",
                                         code: "invalid_parameter")
        }
        query.sort = sort
        let order = parameters["order"] ?? "asc"
        guard ["asc", "desc", ""].contains(order) else { throw JarvisError.badRequest("order must be asc or desc", code: "invalid_parameter") }
        query.descending = order == "desc"
        for item in (parameters["label"] ?? "").split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard let key = parts.first, !key.isEmpty else { continue }
            query.labels.append((key, parts.count > 1 ? parts[1] : nil))
        }
        query.page = try context.intQuery("page", default: 1, range: 1...1_000_000)
        query.pageSize = try context.intQuery("page_size", default: 50, range: 1...500)
        return query
    }

    /// A file or folder as a tar, streamed from the engine in batches: constant memory whatever its size.
    static func download(_ context: RequestContext) async throws -> HTTPResponse {
        let path = try VolumePath(context.request.query["path"])
        let volume = try await context.host.volumes.details(context.parameter("name"))
        let (stream, finish) = try await context.host.volumeBrowser.download(volume.name, path)
        let base = path.components.isEmpty ? volume.name : "\(volume.name)-\(path.name)"
        let safe = String(base.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" }.prefix(120))
        var response = HTTPResponse(status: 200, headers: [
            ("Content-Type", "application/x-tar"),
            ("Content-Disposition", "attachment; filename=\"\(safe).tar\""),
        ])
        if context.request.method == "HEAD" {
            await finish()
            return response
        }
        let source = ChunkSource(stream)
        response.stream = { write in
            defer { Blocking.run { await finish() } }
            while let batch = try source.nextBatch(maxBytes: 256 << 10) { try write(batch) }
        }
        return response
    }

    /// One file (wrapped into a one-member tar) or, with `extract=1`, a checked tar unpacked into the folder `path`.
    static func upload(_ context: RequestContext) async throws -> HTTPResponse {
        guard let file = context.request.upload else {
            throw JarvisError(415, "unsupported_media_type", "send the file as the request body with ?filename=NAME, or as the file field of a multipart form")
        }
        let path = try VolumePath(context.request.query["path"] ?? file.fields["path"])
        let extract = try context.boolQuery("extract", default: file.fields["extract"] == "1" || file.fields["extract"] == "true")
        context.audit = AuditEvent(action: "volume.upload", resourceType: "volume", resourceID: context.parameter("name"),
                                   resourceName: context.parameter("name"),
                                   params: ["path": path.description, "file": file.filename, "size": String(file.size ?? 0), "extract": String(extract)])
        let name = file.filename
        guard !name.isEmpty, name != ".", name != "..", name.utf8.count <= 100, !name.contains("\0") else {
            throw JarvisError.invalidField("filename", "give a file name of 1 to 100 bytes")
        }
        let volume = try await context.host.volumes.details(context.parameter("name"))
        let archive: String
        if extract {
            guard file.format == "tar" else {
                throw JarvisError(415, "unsupported_media_type", "file: extract needs a tar archive (\(name.prefix(100)) is not one)").field("file")
            }
            let members = try VolumeBrowser.checkUpload(file.path)
            context.audit?.params["members"] = String(members)
            archive = file.path
        } else {
            archive = file.path + ".tar"
            try TarWriter.wrap(file.path, as: name, into: archive)
        }
        defer { if archive != file.path { unlink(archive) } }
        try await context.host.volumeBrowser.upload(volume.name, path, archive: archive)
        return try .json(["volume": volume.name, "path": path.description, "file": name], status: 201)
    }
}

/// Pulls an engine byte stream from a FastCGI worker thread, a batch of chunks per hop.
final class ChunkSource: @unchecked Sendable {
    private let stream: EngineByteStream

    init(_ stream: EngineByteStream) { self.stream = stream }

    /// One chunk, plus those already buffered when it is under `maxBytes`; nil at the end.
    func nextBatch(maxBytes: Int) throws -> [UInt8]? {
        let result: Result<[UInt8]?, Error> = Blocking.run { [stream] in
            do {
                guard var batch = try await stream.next() else { return .success(nil) }
                // Whatever else arrived meanwhile (at most the transfer's 1 MiB buffer): every chunk taken is kept.
                if batch.count < maxBytes { for chunk in stream.takeBuffered() { batch += chunk } }
                return .success(batch)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
