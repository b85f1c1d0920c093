import Foundation
import JarvisCore
import JarvisStore

enum TaskRoutes {
    struct TaskList: Encodable {
        let items: [TaskView]
        let total: Int
        let page: Int
        let pageSize: Int
        let counts: [String: Int]
    }

    struct ProgressRow: Encodable {
        let seq: Int64
        let at: String
        let event: JSONValue
    }

    struct ProgressPage: Encodable {
        let task: TaskView
        let events: [ProgressRow]
        /// Pass as `after` to get what follows.
        let last: Int64
    }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let tasks = environment.tasks
        return [
            Route("GET", "/api/v1/tasks", access: .role(.viewer)) { context in
                let query = context.request.query
                var filter = TaskFilter(state: query["state"].flatMap { $0.isEmpty ? nil : $0 },
                                        kind: query["kind"].flatMap { $0.isEmpty ? nil : $0 })
                if let name = query["user"], !name.isEmpty {
                    filter.userID = try environment.database.user(named: name)?.id ?? -1
                }
                if let name = query["host"], !name.isEmpty, name != "*" {
                    filter.hostID = try environment.hosts.record(named: name).id
                }
                filter.page = try context.intQuery("page", default: 1, range: 1...1_000_000)
                filter.pageSize = try context.intQuery("page_size", default: 50, range: 1...500)
                let (items, total) = try tasks.list(filter)
                return try .json(TaskList(items: items.map(TaskView.init), total: total, page: filter.page,
                                          pageSize: filter.pageSize, counts: try tasks.counts()))
            },
            Route("GET", "/api/v1/tasks/{id}", access: .role(.viewer)) { context in
                try .json(TaskView(try tasks.get(context.parameter("id"))))
            },
            // The polling fallback of the progress stream (a shared host without jarvis-sse).
            Route("GET", "/api/v1/tasks/{id}/progress", access: .role(.viewer)) { context in
                let task = try tasks.get(context.parameter("id"))
                let after = Int64(try context.intQuery("after", default: 0, range: 0...Int(Int32.max)))
                let rows = try tasks.progress(task.id, after: after, limit: 500)
                return try .json(ProgressPage(task: TaskView(task),
                                              events: rows.map { ProgressRow(seq: $0.seq, at: $0.at, event: JSONValue.parse($0.data) ?? .null) },
                                              last: rows.last?.seq ?? after))
            },
            Route("POST", "/api/v1/tasks/{id}/cancel", access: .role(.operator_), audit: "task.cancel", readsBody: false) { context in
                context.audit = AuditEvent(action: "task.cancel", resourceType: "task", resourceID: context.parameter("id"))
                let task = try tasks.cancel(context.parameter("id"))
                context.audit?.resourceName = task.title
                return try .json(TaskView(task), status: 202)
            },
            Route("POST", "/api/v1/tasks/{id}/retry", access: .role(.operator_), audit: "task.retry", readsBody: false) { context in
                context.audit = AuditEvent(action: "task.retry", resourceType: "task", resourceID: context.parameter("id"))
                // A retry is a new request by whoever retries: stack operations are checked again, with the file as it is now.
                let old = try tasks.get(context.parameter("id"))
                if old.kind.hasPrefix("stack.") { try await environment.hosts.services(id: old.hostID).stacks.checkRetry(old, by: context.principal!) }
                let task = try tasks.retry(old.id, by: context.principal!)
                context.audit?.resourceName = task.title
                context.audit?.params = ["new_task": task.id]
                return try .json(TaskView(task), status: 202)
            },
            Route("GET", "/api/v1/tasks/{id}/artifact", access: .role(.operator_), long: true) { context in
                let file = try tasks.artifact(context.parameter("id"))
                return try FileDownload.response(path: file.path, size: file.size, filename: file.filename,
                                                 range: context.request.header("range"))
            },
        ]
    }
}

/// A file on disk as a download: streamed in 256 KiB reads, `Content-Length`, one `Range`.
enum FileDownload {
    static func response(path: String, size: Int64, filename: String, range: String?) throws -> HTTPResponse {
        var start: Int64 = 0
        var end = size - 1
        var status = 200
        if let range, let parsed = try parseRange(range, size: size) {
            (start, end) = parsed
            status = 206
        }
        let length = max(0, end - start + 1)
        var headers: [(String, String)] = [
            ("Content-Type", filename.hasSuffix(".gz") ? "application/gzip" : "application/x-tar"),
            ("Content-Disposition", "attachment; filename=\"\(filename)\""),
            ("Content-Length", String(length)),
            ("Accept-Ranges", "bytes"),
        ]
        if status == 206 { headers.append(("Content-Range", "bytes \(start)-\(end)/\(size)")) }
        var response = HTTPResponse(status: status, headers: headers)
        let (first, last) = (start, end)
        response.stream = { write in
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw JarvisError(404, "no_artifact", "the file was removed") }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 256 << 10)
            var offset = first
            while offset <= last {
                let wanted = Int(min(Int64(buffer.count), last - offset + 1))
                let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, wanted, off_t(offset)) }
                guard count > 0 else { throw JarvisError(500, "read_failed", "the file ended early") }
                try write(count == buffer.count ? buffer : Array(buffer[..<count]))
                offset += Int64(count)
            }
        }
        return response
    }

    /// `bytes=a-b`, `bytes=a-`, `bytes=-n`; nil for a header we ignore (several ranges); 416 when outside the file.
    static func parseRange(_ header: String, size: Int64) throws -> (Int64, Int64)? {
        let spec = header.trimmingCharacters(in: .whitespaces)
        guard spec.hasPrefix("bytes="), !spec.contains(",") else { return nil }
        let parts = spec.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let unsatisfiable = JarvisError(416, "range_not_satisfiable", "the file has \(size) bytes").with(header: ("Content-Range", "bytes */\(size)"))
        if parts[0].isEmpty {
            guard let suffix = Int64(parts[1]), suffix > 0 else { throw unsatisfiable }
            return (max(0, size - suffix), size - 1)
        }
        guard let first = Int64(parts[0]), first < size else { throw unsatisfiable }
        let last = parts[1].isEmpty ? size - 1 : min(Int64(parts[1]) ?? -1, size - 1)
        guard last >= first else { throw unsatisfiable }
        return (first, last)
    }
}

extension JarvisError {
    func with(header: (String, String)) -> JarvisError {
        var copy = self
        copy.headers.append(header)
        return copy
    }
}
