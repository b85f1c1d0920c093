import CCurl
import Foundation

/// A connection the engine upgraded to a raw byte stream (`/exec/{id}/start`
/// with `Upgrade: tcp`). curl only connects (`CONNECT_ONLY`); bytes then go
/// through `curl_easy_send`/`curl_easy_recv`, so any transport curl speaks works.
/// Calls block: use it from a dedicated thread, as terminals are few.
public final class HijackedConnection: @unchecked Sendable {
    private let easy: UnsafeMutableRawPointer
    private let socket: Int32
    private let lock = NSLock()
    private var closed = false
    /// Bytes that arrived together with the HTTP answer's head.
    private var pending: [UInt8] = []

    private let connectTo: UnsafeMutablePointer<curl_slist>?
    private let diagnostics: CurlDiagnostics
    /// Why the last read failed (a TLS alert, a reset), for the upgrade's error.
    private var readFailure: CURLcode = CURLE_OK

    private init(easy: UnsafeMutableRawPointer, socket: Int32, connectTo: UnsafeMutablePointer<curl_slist>?, diagnostics: CurlDiagnostics) {
        self.easy = easy
        self.socket = socket
        self.connectTo = connectTo
        self.diagnostics = diagnostics
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(connectTo)
    }

    /// Connects, sends `request` as HTTP/1.1 with the upgrade headers, and returns once
    /// the engine answered 101. Other answers throw with the engine's message.
    /// With TLS the handshake happens here and `curl_easy_send`/`recv` encrypt; for SSH `route`
    /// names the tunnel's local socket.
    static func open(route: EngineRoute, request: EngineRequest, version: APIVersion?) throws -> HijackedConnection {
        guard let easy = curl_easy_init() else { throw EngineError(.transport, message: "curl_easy_init failed") }
        jarvis_curl_setopt_string(easy, CURLOPT_URL, route.baseURL)
        let connectTo = route.apply(to: easy)
        let diagnostics = CurlDiagnostics(easy: easy, route: route)
        jarvis_curl_setopt_long(easy, CURLOPT_CONNECT_ONLY, 1)
        jarvis_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT, 5)
        jarvis_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        let code = curl_easy_perform(easy)
        guard code == CURLE_OK else {
            let error = diagnostics.error(code)
            curl_easy_cleanup(easy)
            curl_slist_free_all(connectTo)
            throw error
        }
        var socket: curl_socket_t = -1
        jarvis_curl_getinfo_socket(easy, &socket)
        let connection = HijackedConnection(easy: easy, socket: socket, connectTo: connectTo, diagnostics: diagnostics)
        let body = request.body ?? []
        var head = "\(request.method) \(request.url(base: "", version: version)) HTTP/1.1\r\nHost: docker\r\n"
        head += "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: \(body.count)\r\n\r\n"
        try connection.write(Array(head.utf8) + body)
        try connection.readUpgradeAnswer()
        return connection
    }

    private func readUpgradeAnswer() throws {
        var buffer: [UInt8] = []
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            guard let chunk = try read(), !chunk.isEmpty else {
                if readFailure != CURLE_OK {
                    // A TLS 1.3 server judges our certificate after the handshake: its alert arrives here.
                    throw diagnostics.error(readFailure)
                }
                throw EngineError(.transport, message: "the engine closed the connection before answering the upgrade")
            }
            buffer += chunk
            guard let end = buffer.firstRange(of: separator) else {
                if buffer.count > 65536 { throw EngineError(.decoding, message: "engine answer head too long") }
                continue
            }
            let head = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
            let status = head.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
            var rest = Array(buffer[end.upperBound...])
            if status == 101 {
                pending = rest
                return
            }
            // An error answer: read its body (Content-Length) for the engine's message.
            let length = head.split(separator: "\r\n").compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
            while rest.count < min(length, 65536), let more = try read(), !more.isEmpty { rest += more }
            close()
            throw EngineError.fromResponse(status: status, body: rest)
        }
    }

    /// Writes all bytes; throws when the connection is gone.
    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            if lock.withLock({ closed }) { throw EngineError(.cancelled, message: "connection closed") }
            var sent = 0
            let code = bytes.withUnsafeBytes { buffer in
                curl_easy_send(easy, buffer.baseAddress! + offset, bytes.count - offset, &sent)
            }
            if code == CURLE_AGAIN { try wait(for: Int16(POLLOUT)); continue }
            guard code == CURLE_OK else { throw EngineError(.transport, message: "send to engine failed: \(String(cString: curl_easy_strerror(code)))") }
            offset += sent
        }
    }

    /// The next bytes from the engine; nil at end of stream or after `close()`.
    public func read() throws -> [UInt8]? {
        if !pending.isEmpty { defer { pending = [] }; return pending }
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            if lock.withLock({ closed }) { return nil }
            var received = 0
            let code = buffer.withUnsafeMutableBytes { curl_easy_recv(easy, $0.baseAddress!, $0.count, &received) }
            if code == CURLE_AGAIN { try wait(for: Int16(POLLIN)); continue }
            if code != CURLE_OK { readFailure = code; return nil }
            if received == 0 { return nil }
            return Array(buffer[..<received])
        }
    }

    /// Waits until the socket is ready, waking every 250 ms to notice `close()`.
    private func wait(for events: Int16) throws {
        var descriptor = pollfd(fd: socket, events: events, revents: 0)
        _ = poll(&descriptor, 1, 250)
    }

    public var isClosed: Bool { lock.withLock { closed } }

    /// Ends the connection; blocked reads return nil. Safe from any thread.
    public func close() {
        let first = lock.withLock { () -> Bool in defer { closed = true }; return !closed }
        if first { _ = shutdown(socket, Int32(SHUT_RDWR)) }
    }
}

/// Options of `POST /containers/{id}/exec`.
public struct ExecOptions: Sendable {
    public var cmd: [String]
    public var tty: Bool
    public var env: [String]
    public var user: String?
    public var workingDir: String?

    public init(cmd: [String], tty: Bool = true, env: [String] = [], user: String? = nil, workingDir: String? = nil) {
        self.cmd = cmd
        self.tty = tty
        self.env = env
        self.user = user
        self.workingDir = workingDir
    }
}

/// `GET /exec/{id}/json`, the parts a terminal needs.
public struct ExecInspect: Decodable, Sendable {
    public let id: String
    public let running: Bool
    public let exitCode: Int?
    public let containerID: String?
    public let pid: Int?

    enum CodingKeys: String, CodingKey { case id = "ID", running = "Running", exitCode = "ExitCode", containerID = "ContainerID", pid = "Pid" }
}

extension DockerClient {
    /// `POST /containers/{id}/exec`; returns the exec id.
    public func createExec(_ containerID: String, _ options: ExecOptions) async throws -> String {
        struct Created: Decodable { let Id: String }
        var body: [String: Any] = ["AttachStdin": true, "AttachStdout": true, "AttachStderr": true, "Tty": options.tty, "Cmd": options.cmd]
        if !options.env.isEmpty { body["Env"] = options.env }
        if let user = options.user { body["User"] = user }
        if let workingDir = options.workingDir { body["WorkingDir"] = workingDir }
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await decode(Created.self, EngineRequest("POST", "/containers/\(try Self.validID(containerID))/exec", body: [UInt8](data))).Id
    }

    /// `POST /exec/{id}/start` upgraded to a raw stream (TTY: plain bytes both ways).
    public func startExec(_ execID: String, tty: Bool = true) async throws -> HijackedConnection {
        let request = EngineRequest("POST", "/exec/\(try Self.validID(execID))/start",
                                    body: Array(#"{"Detach":false,"Tty":\#(tty)}"#.utf8))
        try await admit(request)
        let version = try await apiVersion()
        let route = try await route()
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try HijackedConnection.open(route: route, request: request, version: version) })
            }
        }
    }

    /// `POST /exec/{id}/resize`.
    public func resizeExec(_ execID: String, rows: Int, columns: Int) async throws {
        _ = try await send(EngineRequest("POST", "/exec/\(try Self.validID(execID))/resize",
                                         query: [("h", String(rows)), ("w", String(columns))]))
    }

    /// `GET /exec/{id}/json`.
    public func inspectExec(_ execID: String) async throws -> ExecInspect {
        try await decode(ExecInspect.self, EngineRequest("GET", "/exec/\(try Self.validID(execID))/json"))
    }
}
