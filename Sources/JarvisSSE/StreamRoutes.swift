import AsyncAlgorithms
import DockerEngine
import Foundation
import HTTPTypes
import Hummingbird
import JarvisAPI
import JarvisCore
import Logging

/// SSE endpoints. Each stream pipes one engine stream through a channel that
/// also carries heartbeats; when the browser goes away the write fails, the
/// task group cancels, and the engine transfer is closed.
struct StreamRoutes: Sendable {
    let docker: DockerClient
    let authenticator: Authenticator
    let logger: Logger

    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    func containerLogs(_ request: Request, id: String) async throws -> Response {
        let principal = try await authenticate(request)
        let query = request.uri.queryParameters
        let resumeID = request.headers[Self.lastEventID] ?? query.get("last_event_id")
        let cursor = resumeID.flatMap(LogCursor.init(eventID:))
        if resumeID != nil && cursor == nil {
            return Self.error(400, "invalid_parameter", "Last-Event-ID is not a log position", request)
        }
        var options = LogsOptions(follow: query.get("follow") != "false", timestamps: true)
        if let cursor {
            options.since = cursor.instant.engineSince
        } else {
            let tail = query.get("tail") ?? "100"
            if tail != "all" {
                guard let lines = Int(tail), (0...100_000).contains(lines) else {
                    return Self.error(400, "invalid_parameter", "tail must be all or 0...100000", request)
                }
                options.tail = lines
            }
        }
        let lines: AsyncThrowingStream<LogLine, Error>
        do {
            lines = try await docker.logs(id, options: options)
        } catch let error as EngineError {
            let mapped = JarvisError.from(error)
            return Self.error(mapped.status, mapped.code, mapped.message, request)
        }
        logger.debug("log follow", metadata: ["container": "\(id)", "user": "\(principal.username)"])
        return Self.stream { channel in
            var filter = LogResumeFilter(resumeAfter: cursor)
            for try await line in lines {
                guard let position = filter.admit(line) else { continue }
                await channel.send(ServerSentEvent.encode(id: position.eventID, event: "log", data: LogEventPayload(line).json))
            }
            await channel.send(ServerSentEvent.encode(event: "end", data: #"{"reason":"container stopped"}"#))
        }
    }

    func engineEvents(_ request: Request) async throws -> Response {
        _ = try await authenticate(request)
        let query = request.uri.queryParameters
        var lastNano: Int64?
        if let resume = request.headers[Self.lastEventID] ?? query.get("last_event_id") {
            guard let value = Int64(resume) else { return Self.error(400, "invalid_parameter", "Last-Event-ID is not an event position", request) }
            lastNano = value
        }
        let types = (query.get("type") ?? "container").split(separator: ",").map(String.init)
        var options = EventsOptions(filters: ["type": types])
        if let lastNano { options.since = String(lastNano / 1_000_000_000) }
        let events: AsyncThrowingStream<EngineEvent, Error>
        do {
            events = try await docker.events(options)
        } catch let error as EngineError {
            let mapped = JarvisError.from(error)
            return Self.error(mapped.status, mapped.code, mapped.message, request)
        }
        let resumeAfter = lastNano
        return Self.stream { channel in
            for try await event in events {
                if let lastNano = resumeAfter, event.timeNano <= lastNano { continue }
                let data = String(decoding: try JSONCoding.encoder.encode(EventPayload(event)), as: UTF8.self)
                await channel.send(ServerSentEvent.encode(id: String(event.timeNano), event: event.type, data: data))
            }
        }
    }

    private func authenticate(_ request: Request) async throws -> Principal {
        do {
            guard let principal = try await authenticator.principal(authorization: request.headers[.authorization],
                                                                    cookieHeader: request.headers[.cookie]) else {
                throw JarvisError.unauthorized()
            }
            return principal
        } catch let error as JarvisError {
            throw HTTPError(.init(code: error.status), message: error.message)
        }
    }

    /// An SSE response fed by `produce`, with heartbeats while it is quiet.
    static func stream(_ produce: @escaping @Sendable (AsyncChannel<String>) async throws -> Void) -> Response {
        let body = ResponseBody { writer in
            let channel = AsyncChannel<String>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { channel.finish() }
                    do { try await produce(channel) } catch is CancellationError {} catch {
                        await channel.send(ServerSentEvent.encode(event: "stream-error", data: #"{"message":"stream ended by the engine"}"#))
                    }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(nanoseconds: ServerSentEvent.heartbeatSeconds * 1_000_000_000)
                        await channel.send(ServerSentEvent.heartbeat)
                    }
                }
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                for await text in channel { try await writer.write(ByteBuffer(string: text)) }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache",
                                               HTTPField.Name("X-Accel-Buffering")!: "no"], body: body)
    }

    static func error(_ status: Int, _ code: String, _ message: String, _ request: Request) -> Response {
        let requestID = request.headers[HTTPField.Name("X-Request-Id")!] ?? ""
        let body = #"{"error":{"code":"\#(code)","message":\#(jsonString(message)),"request_id":"\#(requestID)"}}"#
        return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func jsonString(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}

/// An engine event as the browser gets it.
struct EventPayload: Encodable {
    let type: String
    let action: String
    let id: String
    let name: String?
    let image: String?
    let time: Int64
    let timeNano: Int64

    init(_ event: EngineEvent) {
        type = event.type
        action = event.action
        id = event.actor.id
        name = event.actor.attributes?["name"]
        image = event.actor.attributes?["image"]
        time = event.time
        timeNano = event.timeNano
    }
}
