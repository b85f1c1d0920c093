import AsyncAlgorithms
import DockerEngine
import Foundation
import Metrics
import HTTPTypes
import Hummingbird
import JarvisAPI
import JarvisCore
import JarvisStore
import Logging

/// SSE endpoints. Each stream pipes one engine stream through a channel that
/// also carries heartbeats; when the browser goes away the write fails, the
/// task group cancels, and the engine transfer is closed.
struct StreamRoutes: Sendable {
    let hosts: HostRegistry
    /// Events reach browsers only after the host's mirror stored them, so a reload shows the change.
    let supervisor: HostSupervisor
    let database: AppDatabase
    let authenticator: Authenticator
    let logger: Logger

    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    /// Follows a container's log. Resumes after `Last-Event-ID`; when the container
    /// stops, the stream says so and waits, then continues when it runs again.
    func containerLogs(_ request: Request, id: String, host: String?) async throws -> Response {
        let principal: Principal
        let docker: DockerClient
        do {
            principal = try await authenticate(request)
            docker = try engine(host).docker
        } catch {
            return Self.error(JarvisError.wrap(error), request)
        }
        let query = QueryString.parse(request.uri.query ?? "")
        let resumeID = request.headers[Self.lastEventID] ?? query["last_event_id"]
        let cursor = resumeID.flatMap(LogCursor.init(eventID:))
        if resumeID != nil && cursor == nil {
            return Self.error(.badRequest("Last-Event-ID is not a log position", code: "invalid_parameter"), request)
        }
        var parameters: [String: String] = [:]
        for key in ["tail", "since", "stream", "q", "regex"] { if let value = query[key] { parameters[key] = value } }
        let logRequest: LogRequest
        let target: ContainerDetails
        do {
            logRequest = try LogRequest.parse(parameters, defaultTail: 100, maxTail: nil)
            target = try await docker.container(id)
        } catch {
            return Self.error(JarvisError.wrap(error), request)
        }
        var options = logRequest.engineOptions
        options.follow = true
        if let cursor { options.since = cursor.instant.engineSince; options.tail = nil }
        let tty = target.config.tty ?? false
        let containerID = target.id  // the stream keeps the id, not the whole inspect answer
        let firstOptions = options
        logger.debug("log follow", metadata: ["container": "\(containerID)", "user": "\(principal.username)"])
        return Self.stream { channel in
            var last = cursor
            var options = firstOptions
            while true {
                var filter = LogResumeFilter(resumeAfter: last)
                for try await batch in try await docker.logBatches(containerID, options: options, tty: tty) {
                    var fresh: [LogLine] = []
                    var positions: [LogCursor] = []
                    for line in batch {
                        guard let position = filter.admit(line) else { continue }
                        last = position
                        fresh.append(line)
                        positions.append(position)
                    }
                    // A search runs on LogMatcher's own threads, off the cooperative pool.
                    let keep = await logRequest.admitted(fresh)
                    var bytes: [UInt8] = []
                    bytes.reserveCapacity(fresh.count * 200)
                    for index in fresh.indices where keep[index] {
                        LogEventWriter.append(fresh[index], at: positions[index], to: &bytes)
                    }
                    if !bytes.isEmpty { await channel.send(ByteBuffer(bytes: bytes)) }
                    if let search = logRequest.search, search.stopped {
                        await channel.send(Self.event(event: "end", data: Self.searchStopped(search)))
                        return
                    }
                }
                let stoppedAt = LogInstant(seconds: Int64(Date().timeIntervalSince1970), nanos: 0)
                await channel.send(Self.event(event: "state", data: #"{"state":"stopped"}"#))
                // Wait for the container to run again (or to disappear).
                while true {
                    try await Task.sleep(nanoseconds: 1_000_000_000)
                    do {
                        if try await docker.container(containerID).state.running { break }
                    } catch let error as EngineError where error.code == .notFound {
                        await channel.send(Self.event(event: "end", data: #"{"reason":"container removed"}"#))
                        return
                    }
                }
                await channel.send(Self.event(event: "state", data: #"{"state":"running"}"#))
                options.tail = nil
                options.since = (last?.instant ?? stoppedAt).engineSince
            }
        }
    }

    /// The `end` event of a follow whose search gave up on too many hard lines.
    static func searchStopped(_ search: LogMatcher) -> String {
        #"{"reason":"search stopped: \#(search.limitedLines) lines hit the regular expression's limits","search_limited_lines":\#(search.limitedLines)}"#
    }

    func engineEvents(_ request: Request, host: String?) async throws -> Response {
        let target: HostServices
        do {
            _ = try await authenticate(request)
            target = try hosts.services(named: host)
        } catch {
            return Self.error(JarvisError.wrap(error), request)
        }
        let query = QueryString.parse(request.uri.query ?? "")
        var lastNano: Int64?
        if let resume = request.headers[Self.lastEventID] ?? query["last_event_id"] {
            guard let value = Int64(resume) else { return Self.error(.badRequest("Last-Event-ID is not an event position", code: "invalid_parameter"), request) }
            lastNano = value
        }
        let types = (query["type"] ?? "container").split(separator: ",").map(String.init)
        var options = EventsOptions(filters: ["type": types])
        if let lastNano { options.since = String(lastNano / 1_000_000_000) }
        // An offline host has no engine stream; its `host` events (the way back online) still arrive.
        var events: AsyncThrowingStream<EngineEvent, Error>?
        if target.record.state != "offline" && !target.record.isArchived {
            do {
                events = try await target.docker.events(options)
            } catch let error as EngineError {
                if !error.code.isUnreachable { return Self.error(JarvisError.from(error), request) }
            }
        }
        let resumeAfter = lastNano
        let watermark = supervisor.watermark(for: target.record.id)
        let database = self.database
        let firstHostEvent = (try? database.lastHostEventID()) ?? 0
        let engineEvents = events
        return Self.stream { channel in
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let engineEvents {
                    group.addTask {
                        for try await event in engineEvents {
                            if let lastNano = resumeAfter, event.timeNano <= lastNano { continue }
                            if event.type == "container", let watermark { await watermark.wait(for: event.timeNano, timeout: 2) }
                            let data = String(decoding: try JSONCoding.encoder.encode(EventPayload(event)), as: UTF8.self)
                            await channel.send(Self.event(id: String(event.timeNano), event: event.type, data: data))
                        }
                    }
                }
                group.addTask {
                    // Host state changes of every host, without an id: the engine position stays the resume point.
                    var after = firstHostEvent
                    while !Task.isCancelled {
                        for change in (try? database.hostEvents(after: after)) ?? [] {
                            after = change.id
                            let data = String(decoding: try JSONCoding.encoder.encode(HostEventView(change)), as: UTF8.self)
                            await channel.send(Self.event(event: "host", data: data))
                        }
                        try await Task.sleep(nanoseconds: 1_000_000_000)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// The host a stream names (nil: the default host), refused at once when archived or offline.
    func engine(_ name: String?) throws -> HostServices {
        let host = try hosts.services(named: name)
        if host.record.isArchived { throw JarvisError(409, "host_archived", "host \(host.name) is archived; unarchive it to use it") }
        try host.requireOnline()
        return host
    }

    func authenticate(_ request: Request) async throws -> Principal {
        guard let principal = try await authenticator.principal(authorization: request.headers[.authorization],
                                                                cookieHeader: request.headers[.cookie]) else {
            throw JarvisError.unauthorized()
        }
        return principal
    }

    /// One server-sent event, ready to write.
    static func event(id: String? = nil, event: String, data: String) -> ByteBuffer {
        ByteBuffer(string: ServerSentEvent.encode(id: id, event: event, data: data))
    }

    static let heartbeat = ByteBuffer(string: ServerSentEvent.heartbeat)

    /// An SSE response fed by `produce`, with heartbeats while it is quiet.
    static func stream(_ produce: @escaping @Sendable (AsyncChannel<ByteBuffer>) async throws -> Void) -> Response {
        let body = ResponseBody { writer in
            let clients = Meter(label: "jarvis_sse_clients")
            clients.increment()
            defer { clients.decrement() }
            let channel = AsyncChannel<ByteBuffer>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { channel.finish() }
                    do { try await produce(channel) } catch is CancellationError {} catch {
                        await channel.send(Self.event(event: "stream-error", data: #"{"message":"stream ended by the engine"}"#))
                    }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(nanoseconds: ServerSentEvent.heartbeatSeconds * 1_000_000_000)
                        await channel.send(Self.heartbeat)
                    }
                }
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                for await buffer in channel { try await writer.write(buffer) }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache",
                                               HTTPField.Name("X-Accel-Buffering")!: "no"], body: body)
    }

    /// Errors in the same body as the FastCGI side (`JSONCoding.errorBody` renders both).
    static func error(_ error: JarvisError, _ request: Request) -> Response {
        let body = JSONCoding.errorBody(error, requestID: request.headers[HTTPField.Name("X-Request-Id")!] ?? "")
        var headers: HTTPFields = [.contentType: "application/json"]
        for (name, value) in error.headers { if let field = HTTPField.Name(name) { headers[field] = value } }
        return Response(status: .init(code: error.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
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
