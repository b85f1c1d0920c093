import Foundation
import HTTPTypes
import Hummingbird
import JarvisAPI
import JarvisCore

/// `GET /api/v1/tasks/{id}/events`: the task's progress rows as SSE, each with
/// its sequence number as id, so `Last-Event-ID` resumes exactly. A finished
/// task replays what is left and ends with an `end` event carrying the task.
struct TaskStreams: Sendable {
    let tasks: TaskService
    /// Bumped by the runner on every progress row.
    let changes: Watermark
    let authenticator: Authenticator

    func events(_ request: Request, id: String) async throws -> Response {
        do {
            guard try await authenticator.principal(authorization: request.headers[.authorization],
                                                    cookieHeader: request.headers[.cookie]) != nil else {
                throw JarvisError.unauthorized()
            }
            let task = try tasks.get(id)
            let query = QueryString.parse(request.uri.query ?? "")
            var after: Int64 = 0
            if let resume = request.headers[StreamRoutes.lastEventID] ?? query["last_event_id"] {
                guard let value = Int64(resume), value >= 0 else {
                    throw JarvisError.badRequest("Last-Event-ID is not a progress position", code: "invalid_parameter")
                }
                after = value
            }
            let start = after
            return StreamRoutes.stream { [tasks, changes] channel in
                var after = start
                while true {
                    let mark = await changes.current
                    let rows = try tasks.progress(task.id, after: after, limit: 500)
                    for row in rows {
                        let type = JSONValue.parse(row.data)?["type"]?.string ?? "progress"
                        await channel.send(StreamRoutes.event(id: String(row.seq), event: type, data: row.data))
                        after = row.seq
                    }
                    if rows.count == 500 { continue }
                    let current = try tasks.get(task.id)
                    if current.isFinished && rows.isEmpty {
                        let data = String(decoding: try JSONCoding.encoder.encode(TaskView(current)), as: UTF8.self)
                        await channel.send(StreamRoutes.event(event: "end", data: data))
                        return
                    }
                    await changes.wait(for: mark + 1, timeout: 1.0)
                }
            }
        } catch {
            return StreamRoutes.error(JarvisError.wrap(error), request)
        }
    }
}
