import DockerEngine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import JarvisAPI
import JarvisCore
import JarvisStore
import Logging
import NIOCore

/// The web terminal: a WebSocket from the browser piped to an engine exec.
/// Binary frames carry bytes both ways; text frames carry JSON control
/// messages (`{"type":"resize","rows":..,"cols":..}` in, `{"type":"exit","code":..}` out).
struct TerminalBridge: Sendable {
    let environment: JarvisEnvironment
    let authenticator: Authenticator
    let logger: Logger

    static let path = "/api/v1/ws/terminal"

    /// Decides the upgrade: a valid one-time ticket issued to this very session,
    /// from a page on this server (`Origin`, see `TerminalOrigin`). A refused
    /// upgrade gets hummingbird-websocket's fixed empty 400; the ticket stays unused.
    func shouldUpgrade(_ request: HTTPTypes.HTTPRequest) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        let target = request.path ?? ""
        let pathPart = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        guard pathPart == Self.path else { return .dontUpgrade }
        let token = URLComponents(string: target)?.queryItems?.first(where: { $0.name == "token" })?.value ?? ""
        let origin = request.headerFields[.origin]
        // The Host nginx forwards (when it does) besides the one stored with the ticket.
        let hosts = [request.headerFields[HTTPField.Name("X-Forwarded-Host")!], request.authority].compactMap { $0 }
        guard !token.isEmpty,
              let principal = try? await authenticator.principal(authorization: request.headerFields[.authorization],
                                                                 cookieHeader: request.headerFields[.cookie]),
              let ticket = try? environment.defaultHost().terminals.redeem(token, by: principal, origin: origin, requestHosts: hosts) else {
            logger.info("terminal upgrade refused", metadata: ["origin": "\(origin ?? "-")"])
            return .dontUpgrade
        }
        let facts = RequestFacts(requestID: request.headerFields[HTTPField.Name("X-Request-Id")!] ?? UUID().uuidString,
                                 ip: request.headerFields[HTTPField.Name("X-Forwarded-For")!],
                                 userAgent: request.headerFields[.userAgent])
        return .upgrade([:]) { inbound, outbound, _ in
            await self.run(ticket: ticket, principal: principal, facts: facts, inbound: inbound, outbound: outbound)
        }
    }

    private func run(ticket: TerminalTicket, principal: Principal, facts: RequestFacts,
                     inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let audit = AuditEvent(action: "terminal.open", resourceType: "container", resourceID: ticket.containerID,
                               resourceName: ticket.containerName, params: ["exec": ticket.execID])
        let connection: HijackedConnection
        let docker: DockerClient
        do {
            docker = try environment.hosts.services(id: ticket.hostID).docker
            connection = try await docker.startExec(ticket.execID, tty: ticket.tty)
        } catch {
            let failure = JarvisError.wrap(error)
            environment.audit.record(audit, by: principal, facts: facts, error: failure)
            try? await outbound.write(.text(#"{"type":"error","message":\#(Self.quote(failure.message))}"#))
            try? await outbound.close(.unexpectedServerError, reason: "exec failed")
            return
        }
        environment.audit.record(audit, by: principal, facts: facts, error: nil)
        let started = Date()
        let session = TerminalSession(connection: connection, tty: ticket.tty)
        let idleLimit = TimeInterval(environment.config.terminalIdleSeconds)
        var closeReason = "closed"

        await withTaskGroup(of: String.self) { group in
            group.addTask {  // engine -> browser
                for await chunk in session.output {
                    session.consumed()
                    session.touch()
                    do { try await outbound.write(.binary(ByteBuffer(bytes: chunk))) } catch { return "browser gone" }
                }
                let code = (try? await docker.inspectExec(ticket.execID))?.exitCode
                try? await outbound.write(.text(#"{"type":"exit","code":\#(code.map(String.init) ?? "null")}"#))
                return "process exited"
            }
            group.addTask {  // browser -> engine
                do {
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        session.touch()
                        switch message {
                        case let .binary(buffer):
                            try await session.send(Array(buffer.readableBytesView))
                        case let .text(text):
                            if let control = try? JSONDecoder().decode(Control.self, from: Data(text.utf8)) {
                                if control.type == "resize", let rows = control.rows, let cols = control.cols,
                                   (1...1000).contains(rows), (1...1000).contains(cols) {
                                    try? await docker.resizeExec(ticket.execID, rows: rows, columns: cols)
                                } else if control.type == "input", let data = control.data {
                                    try await session.send(Array(data.utf8))
                                }
                            }
                        }
                    }
                } catch {}
                return "browser closed"
            }
            group.addTask {  // idle watchdog
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 1_000_000_000)
                    if session.idleSeconds > idleLimit {
                        try? await outbound.write(.text(#"{"type":"closed","reason":"idle for \#(Int(idleLimit)) seconds"}"#))
                        return "idle timeout"
                    }
                }
                return "cancelled"
            }
            closeReason = await group.next() ?? "closed"
            group.cancelAll()
            session.close()
        }
        try? await outbound.close(.normalClosure, reason: closeReason)
        var closed = AuditEvent(action: "terminal.close", resourceType: "container", resourceID: ticket.containerID,
                                resourceName: ticket.containerName, params: ["exec": ticket.execID, "reason": closeReason])
        closed.params["seconds"] = String(Int(Date().timeIntervalSince(started)))
        closed.params["bytes_in"] = String(session.bytesIn)
        closed.params["bytes_out"] = String(session.bytesOut)
        environment.audit.record(closed, by: principal, facts: facts, error: nil)
        logger.info("terminal closed", metadata: ["container": "\(ticket.containerName)", "reason": "\(closeReason)"])
    }

    struct Control: Decodable { let type: String; let rows: Int?; let cols: Int?; let data: String? }

    static func quote(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}

/// One exec connection: a reader thread turns engine output into an async
/// stream, at most `window` chunks ahead of the browser (a slow browser slows
/// the process, nothing is dropped); writes go through a serial queue.
final class TerminalSession: @unchecked Sendable {
    private let connection: HijackedConnection
    private let writes = DispatchQueue(label: "jarvis.terminal.write")
    private let window = DispatchSemaphore(value: 64)
    private let lock = NSLock()
    private var lastActivity = Date()
    private(set) var bytesIn = 0
    private(set) var bytesOut = 0
    let output: AsyncStream<[UInt8]>

    init(connection: HijackedConnection, tty: Bool) {
        self.connection = connection
        var continuation: AsyncStream<[UInt8]>.Continuation!
        output = AsyncStream { continuation = $0 }
        let sink = continuation!
        let counter = self
        let window = self.window
        Thread.detachNewThread {
            var frames = LogFrameDecoder()
            while let chunk = try? connection.read() {
                var bytes = chunk
                if !tty {  // without a TTY the engine multiplexes stdout/stderr in frames
                    guard let decoded = try? frames.feed(chunk) else { break }
                    bytes = decoded.flatMap(\.payload)
                }
                counter.lock.withLock { counter.bytesOut += bytes.count }
                if !bytes.isEmpty {
                    while window.wait(timeout: .now() + 0.5) == .timedOut {
                        if connection.isClosed { sink.finish(); return }
                    }
                    sink.yield(bytes)
                }
            }
            sink.finish()
        }
    }

    /// The browser took one chunk: the reader may run one further ahead.
    func consumed() { window.signal() }

    func touch() { lock.withLock { lastActivity = Date() } }

    var idleSeconds: TimeInterval { lock.withLock { Date().timeIntervalSince(lastActivity) } }

    func send(_ bytes: [UInt8]) async throws {
        lock.withLock { bytesIn += bytes.count }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            writes.async { [connection] in continuation.resume(with: Result { try connection.write(bytes) }) }
        }
    }

    func close() { connection.close() }
}
