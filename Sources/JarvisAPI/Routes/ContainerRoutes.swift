import DockerEngine
import Foundation
import JarvisCore
import JarvisStore

enum ContainerRoutes {
    struct ActionBody: Decodable { let timeout: Int?; let signal: String? }
    struct RenameBody: Decodable { let name: String }
    struct BulkBody: Decodable {
        let action: String
        let ids: [String]
        let force: Bool?
        let volumes: Bool?
        let timeout: Int?
    }
    struct BulkResult: Encodable {
        let id: String
        let name: String?
        let ok: Bool
        let error: ErrorDetail?
        struct ErrorDetail: Encodable { let code: String; let message: String }
    }
    struct ExecBody: Decodable { let cmd: [String]?; let tty: Bool? }

    static let signals: Set<String> = ["SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "KILL", "TERM", "INT", "HUP"]
    static let bulkActions = Set(ContainerService.Action.allCases.map(\.rawValue) + ["remove"])
    static let maxBulk = 100

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        var routes = [
            Route("GET", "/api/v1/containers", access: .role(.viewer), offlineReadable: true) { context in
                if context.request.query["host"] == "*" {
                    return try .json(try environment.updates.withUpdateStates(try environment.hostManagement.containers(try listQuery(context)),
                                                                            hostID: nil))
                }
                return try .json(try environment.updates.withUpdateStates(try await context.host.containers.list(try listQuery(context)),
                                                                        hostID: context.host.record.id))
            },
            Route("POST", "/api/v1/containers", access: .role(.operator_), audit: "container.create") { context in
                let request = try context.decode(ContainerCreateRequest.self)
                context.audit = AuditEvent(action: "container.create", resourceType: "container", resourceName: request.name,
                                           params: ["image": request.image])
                let spec = try ContainerSpec.validate(request)
                if spec.hasBindMounts, context.principal?.role != .admin {
                    throw JarvisError.forbidden("bind mounts of host paths need the admin role; use a named volume").field("volumes")
                }
                // Early, on the field; the engine client's host-access policy is the guarantee.
                if spec.network == "host", context.principal?.role != .admin {
                    throw JarvisError(403, "host_access_denied", "network: the host network needs the admin role").field("network")
                }
                let created = try await context.host.containers.create(spec)
                context.audit?.resourceID = created.id
                context.audit?.resourceName = created.displayName
                return try .json(view(created, for: context), status: 201)
            },
            Route("GET", "/api/v1/containers/{id}", access: .role(.viewer)) { context in
                let size = try context.boolQuery("size", default: false)
                var shown = view(try await context.host.containers.details(context.parameter("id"), size: size), for: context)
                shown.update = try environment.updates.state(host: context.host, containerID: shown.id)
                return try .json(shown)
            },
            Route("DELETE", "/api/v1/containers/{id}", access: .role(.operator_), audit: "container.remove", readsBody: false) { context in
                let force = try context.boolQuery("force", default: false)
                let volumes = try context.boolQuery("volumes", default: false)
                context.audit = AuditEvent(action: "container.remove", resourceType: "container", resourceID: context.parameter("id"),
                                           params: ["force": String(force), "volumes": String(volumes)])
                let target = try await context.host.containers.details(context.parameter("id"))
                context.audit?.resourceID = target.id
                context.audit?.resourceName = target.displayName
                var summary = "remove container \(target.displayName)"
                if target.state.running { summary += force ? " (running: it will be killed)" : " (running: the engine will refuse without force)" }
                if volumes { summary += " and its anonymous volumes" }
                // The token covers the flags too: one issued for a plain removal cannot force one.
                let confirmed = "container.remove" + (force ? "+force" : "") + (volumes ? "+volumes" : "")
                try environment.confirmations.require(context.principal!, action: confirmed, targets: [target.id],
                                                      summary: summary, presented: context.request.header(ConfirmationService.header))
                _ = try await context.host.containers.remove(target.id, force: force, volumes: volumes)
                return .noContent()
            },
            Route("POST", "/api/v1/containers/{id}/rename", access: .role(.operator_), audit: "container.rename") { context in
                let body = try context.decode(RenameBody.self)
                context.audit = AuditEvent(action: "container.rename", resourceType: "container", resourceID: context.parameter("id"),
                                           params: ["name": body.name])
                let renamed = try await context.host.containers.rename(context.parameter("id"), to: body.name)
                context.audit?.resourceID = renamed.id
                context.audit?.resourceName = renamed.displayName
                return try .json(view(renamed, for: context))
            },
            // Up to 100 containers, four at a time, each with its grace period.
            Route("POST", "/api/v1/containers/actions", access: .role(.operator_), audit: "container.bulk", long: true) { context in
                try await bulk(context, environment)
            },
            Route("POST", "/api/v1/containers/{id}/exec", access: .role(.operator_), audit: "container.exec") { context in
                try context.host.terminals.requireEnabled()
                let body = context.request.body.isEmpty ? ExecBody(cmd: nil, tty: nil) : try context.decode(ExecBody.self)
                let cmd = body.cmd ?? ["/bin/sh"]
                guard !cmd.isEmpty, cmd.count <= 64, cmd.allSatisfy({ !$0.isEmpty && $0.count <= 4096 }) else {
                    throw JarvisError.invalidField("cmd", "must be a non-empty list of arguments")
                }
                context.audit = AuditEvent(action: "container.exec", resourceType: "container", resourceID: context.parameter("id"),
                                           params: ["cmd": cmd.joined(separator: " ")])
                let target = try await context.host.containers.details(context.parameter("id"))
                context.audit?.resourceID = target.id
                context.audit?.resourceName = target.displayName
                let grant = try await context.host.terminals.open(for: context.principal!, container: target, cmd: cmd, tty: body.tty ?? true,
                                                                 host: context.request.header("host"))
                return try .json(grant, status: 201)
            },
            Route("GET", "/api/v1/containers/{id}/logs", access: .role(.viewer)) { context in
                // The web server hands `?follow=true` to jarvis-sse (as `/logs/follow`). Reaching this
                // process means there is none (a shared host): answer as `/logs/follow` does there.
                if try context.boolQuery("follow", default: false) {
                    throw JarvisError.notFound("live follow is not available on this server (no jarvis-sse); poll this path with since= instead")
                }
                let request = try LogRequest.parse(context.request.query)
                let lines = try await context.host.containers.logHistory(context.parameter("id"), request)
                return try .json(LogHistory(lines: lines.map(LogEventPayload.init), limit: request.tail ?? LogRequest.maxTail, search: request.search))
            },
            Route("GET", "/api/v1/containers/{id}/logs/download", access: .role(.viewer), long: true) { context in
                try await download(context)
            },
            Route("GET", "/api/v1/system/dashboard", access: .role(.viewer)) { context in
                var dashboard = try await context.host.system.dashboard(containers: context.host.containers)
                if context.principal?.role == .admin {
                    var query = AuditQuery()
                    query.pageSize = 8
                    dashboard.recentAudit = try environment.audit.list(query).items
                }
                return try .json(dashboard)
            },
        ]
        for action in ContainerService.Action.allCases {
            // Stop and restart wait out the grace period (up to 60 s) before the engine kills.
            let waits = action == .stop || action == .restart
            routes.append(Route("POST", "/api/v1/containers/{id}/\(action.rawValue)", access: .role(.operator_),
                                audit: "container.\(action.rawValue)", long: waits) { context in
                let id = context.parameter("id")
                context.audit = AuditEvent(action: "container.\(action.rawValue)", resourceType: "container", resourceID: id)
                let body = context.request.body.isEmpty ? ActionBody(timeout: nil, signal: nil) : try context.decode(ActionBody.self)
                let (timeout, signal) = try validate(body)
                var params: [String: String] = [:]
                if let timeout { params["timeout"] = String(timeout) }
                if let signal { params["signal"] = signal }
                context.audit?.params = params
                let after = try await context.host.containers.perform(action, on: id, timeout: timeout, signal: signal)
                context.audit?.resourceID = after.id
                context.audit?.resourceName = after.displayName
                return try .json(view(after, for: context))
            })
        }
        return routes
    }

    static func listQuery(_ context: RequestContext) throws -> ContainerQuery {
        let parameters = context.request.query
        let state = parameters["state"].flatMap { $0.isEmpty ? nil : $0 }
        if let state, !ContainerQuery.states.contains(state) {
            throw JarvisError.badRequest("state must be one of \(ContainerQuery.states.sorted().joined(separator: ", "))", code: "invalid_parameter")
        }
        let sortText = parameters["sort"].flatMap { $0.isEmpty ? nil : $0 } ?? "name"
        guard let sort = ContainerSnapshotQuery.Sort(rawValue: sortText) else {
            throw JarvisError.badRequest("sort must be one of \(ContainerSnapshotQuery.Sort.allCases.map(\.rawValue).joined(separator: ", "))",
                                         code: "invalid_parameter")
        }
        let order = parameters["order"] ?? "asc"
        guard ["asc", "desc", ""].contains(order) else { throw JarvisError.badRequest("order must be asc or desc", code: "invalid_parameter") }
        var labels: [(key: String, value: String?)] = []
        for item in (parameters["label"] ?? "").split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard let key = parts.first, !key.isEmpty else { continue }
            labels.append((key, parts.count > 1 ? parts[1] : nil))
        }
        let image = parameters["image"].flatMap { $0.isEmpty ? nil : $0 }
        if let image, image.range(of: "^sha256:[0-9a-f]{64}$", options: .regularExpression) == nil {
            throw JarvisError.badRequest("image must be an image id (sha256: and 64 hex digits)", code: "invalid_parameter").field("image")
        }
        return ContainerQuery(query: parameters["q"], state: state, all: try context.boolQuery("all", default: true), labels: labels,
                              sort: sort, descending: order == "desc",
                              page: try context.intQuery("page", default: 1, range: 1...1_000_000),
                              pageSize: try context.intQuery("page_size", default: 50, range: 1...500), imageID: image)
    }

    /// Viewers see secret-looking environment values masked.
    static func view(_ details: ContainerDetails, for context: RequestContext) -> ContainerDetailsView {
        let view = ContainerDetailsView(details)
        return (context.principal?.role ?? .viewer) >= .operator_ ? view : view.maskingSecrets()
    }

    static func validate(_ body: ActionBody) throws -> (Int?, String?) {
        // A request holds a worker (in the long lane) while the engine waits: grace periods stay short here.
        if let timeout = body.timeout, !(0...60).contains(timeout) {
            throw JarvisError.invalidField("timeout", "must be 0...60 seconds")
        }
        if let signal = body.signal, !signals.contains(signal.uppercased()) {
            throw JarvisError.invalidField("signal", "unknown signal \(signal.prefix(20))")
        }
        return (body.timeout, body.signal?.uppercased())
    }

    /// Bulk actions always need the server's confirmation; each container gets its own result.
    static func bulk(_ context: RequestContext, _ environment: JarvisEnvironment) async throws -> HTTPResponse {
        let body = try context.decode(BulkBody.self)
        guard bulkActions.contains(body.action) else {
            throw JarvisError.invalidField("action", "must be one of \(bulkActions.sorted().joined(separator: ", "))")
        }
        let ids = Array(Set(body.ids)).sorted()
        guard !ids.isEmpty, ids.count <= maxBulk else { throw JarvisError.invalidField("ids", "give 1...\(maxBulk) container ids") }
        let (timeout, _) = try validate(ActionBody(timeout: body.timeout, signal: nil))
        let force = body.force ?? false
        let volumes = body.volumes ?? false
        context.audit = AuditEvent(action: "container.bulk", resourceType: "container", resourceID: ids.joined(separator: ","),
                                   params: ["action": body.action, "count": String(ids.count), "force": String(force)])
        let summary = "\(body.action) \(ids.count) container\(ids.count == 1 ? "" : "s")" + (force && body.action == "remove" ? " (force)" : "")
        try environment.confirmations.require(context.principal!, action: "container.bulk.\(body.action)" + (force ? "+force" : "") + (volumes ? "+volumes" : ""), targets: ids, summary: summary,
                                              presented: context.request.header(ConfirmationService.header))
        let results = await withTaskGroup(of: BulkResult.self) { group in
            var results: [BulkResult] = []
            var pending = ids[...]
            func next() {
                guard let id = pending.popFirst() else { return }
                group.addTask {
                    do {
                        let target: ContainerDetails
                        if let action = ContainerService.Action(rawValue: body.action) {
                            target = try await context.host.containers.perform(action, on: id, timeout: timeout)
                        } else {
                            target = try await context.host.containers.remove(id, force: force, volumes: volumes)
                        }
                        return BulkResult(id: target.id, name: target.displayName, ok: true, error: nil)
                    } catch {
                        let failure = JarvisError.wrap(error)
                        return BulkResult(id: id, name: nil, ok: false, error: .init(code: failure.code, message: failure.message))
                    }
                }
            }
            for _ in 0..<4 { next() }
            for await result in group {
                results.append(result)
                next()
            }
            return results.sorted { $0.id < $1.id }
        }
        let failed = results.filter { !$0.ok }.count
        context.audit?.params["failed"] = String(failed)
        return try .json(["results": results])
    }

    /// The log as a `.log` download, streamed line by line with constant memory.
    static func download(_ context: RequestContext) async throws -> HTTPResponse {
        let request = try LogRequest.parse(context.request.query, defaultTail: nil, maxTail: nil)
        let target = try await context.host.containers.details(context.parameter("id"))
        let lines = try await context.host.containers.logStream(target.id, request)
        let timestamps = try context.boolQuery("timestamps", default: true)
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        var response = HTTPResponse(status: 200, headers: [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Disposition", "attachment; filename=\"\(target.displayName)-\(stamp).log\""),
        ])
        let source = LineSource(lines)
        response.stream = { write in
            while let batch = try source.nextBatch(maxBytes: 60 << 10, timestamps: timestamps) { try write(batch) }
        }
        return response
    }
}

/// The history endpoint's answer; `limit_reached` tells the UI older lines may exist.
struct LogHistory: Encodable {
    let lines: [LogEventPayload]
    let limitReached: Bool
    /// With a search: lines that hit the regex limits (counted as not matching), and whether it gave up.
    let searchLimitedLines: Int?
    let searchTruncated: Bool?

    init(lines: [LogEventPayload], limit: Int, search: LogMatcher? = nil) {
        self.lines = lines
        limitReached = lines.count >= limit && limit > 0
        searchLimitedLines = search?.limitedLines
        searchTruncated = search?.stopped
    }
}

/// Pulls an async line stream from a FastCGI worker thread (which may block),
/// a batch of lines per hop so large downloads do not pay a task switch per line.
final class LineSource: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<LogLine, Error>.AsyncIterator

    init(_ lines: AsyncThrowingStream<LogLine, Error>) { iterator = lines.makeAsyncIterator() }

    /// Up to about `maxBytes` of `[time ]text\n` lines; nil at the end.
    func nextBatch(maxBytes: Int, timestamps: Bool) throws -> [UInt8]? {
        let result: Result<[UInt8], Error> = Blocking.run { [self] in
            var buffer: [UInt8] = []
            do {
                while buffer.count < maxBytes, let line = try await iterator.next() {
                    if timestamps, let time = line.timestamp { buffer += Array(time.utf8); buffer.append(0x20) }
                    buffer += Array(line.text.utf8)
                    buffer.append(0x0A)
                }
                return .success(buffer)
            } catch {
                return .failure(error)
            }
        }
        let batch = try result.get()
        return batch.isEmpty ? nil : batch
    }
}
