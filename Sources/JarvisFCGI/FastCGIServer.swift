import CFastCGI
import Foundation
import JarvisAPI
import JarvisCore
import Logging

/// A pool of worker threads, each looping on `FCGX_Accept_r` over one shared
/// listening socket (concurrent accept is safe on Linux: no mutex).
final class FastCGIServer: @unchecked Sendable {
    private let api: JarvisAPI
    private let listenFD: Int32
    private let socketPath: String?
    private let threads: Int
    private let maxBodyBytes: Int
    /// Bounds the workers long requests hold, in all and per user.
    private let longLane: LongLane
    private let logger: Logger
    private let finished = DispatchGroup()

    init(api: JarvisAPI, config: JarvisConfig, logger: Logger) throws {
        self.api = api
        self.logger = logger
        threads = config.fcgiThreads
        longLane = LongLane(WorkerLanes.Limits(threads: config.fcgiThreads, longRequests: config.fcgiLongRequests,
                                               perCaller: config.fcgiLongPerUser))
        maxBodyBytes = 1 << 20
        guard FCGX_Init() == 0 else { throw ConfigError.message("FCGX_Init failed") }
        if FCGX_IsCGI() == 0 {
            // A web server or spawn-fcgi handed us the listening socket as fd 0.
            listenFD = 0
            socketPath = nil
        } else if let path = config.fcgiSocket {
            if path.hasPrefix("/") { unlink(path) }
            let fd = FCGX_OpenSocket(path, 1024)
            guard fd >= 0 else { throw ConfigError.message("cannot listen on \(path)") }
            if path.hasPrefix("/") { chmod(path, config.fcgiSocketMode) }
            listenFD = fd
            socketPath = path.hasPrefix("/") ? path : nil
        } else {
            throw ConfigError.message("no listening socket: set fcgi_socket, or start jarvis-fcgi from a web server or spawn-fcgi")
        }
    }

    /// Starts the workers and returns when all of them stopped.
    func run() {
        logger.info("jarvis-fcgi listening", metadata: ["socket": "\(socketPath ?? "inherited fd 0")", "threads": "\(threads)",
                                                      "long_requests": "\(longLane.limits.longSlots)", "long_per_user": "\(longLane.limits.perCaller)"])
        for index in 0..<threads {
            finished.enter()
            let thread = Thread { [self] in
                serve()
                finished.leave()
            }
            thread.name = "fcgi-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        finished.wait()
        if let socketPath { unlink(socketPath) }
        logger.info("jarvis-fcgi stopped")
    }

    /// Wakes every worker blocked in accept so they see the shutdown.
    func stop() {
        FCGX_ShutdownPending()
        shutdown(listenFD, Int32(SHUT_RDWR))
    }

    /// One request's outcome: what to send, and what to do with the connection after.
    private struct Answer {
        var response: HTTPResponse
        /// Stdin was not read to its end (a refused upload, a full lane): the
        /// connection is closed instead of drained, so a slow sender costs no worker.
        var bodyLeft = false
        /// The long-lane slot this request holds until its answer is written.
        var ticket: LongLaneTicket?
    }

    private func serve() {
        let request = jarvis_fcgx_request_new(listenFD)
        defer { jarvis_fcgx_request_free(request) }
        while FCGX_Accept_r(request) >= 0 {
            let answer = handle(request)
            write(answer.response, to: request)
            answer.ticket?.release()
            if answer.bodyLeft { abandonInput(request) }
            FCGX_Finish_r(request)
        }
    }

    /// Ends a request without reading the rest of its body. Draining it first
    /// would hold this worker as long as the client takes to send it (1 byte/s:
    /// forever). Instead the answer goes out at once and the connection is closed,
    /// never kept: libfcgi's close shuts our write side and reads on only until the
    /// web server hangs up, which it does as soon as it has the answer (or after
    /// 2 s of silence). Closing before the web server has read the answer would make
    /// its next body write fail and turn our answer into its 502.
    private func abandonInput(_ raw: UnsafeMutablePointer<FCGX_Request>) {
        raw.pointee.keepConnection = 0
    }

    private func handle(_ raw: UnsafeMutablePointer<FCGX_Request>) -> Answer {
        let params = Self.params(raw)
        let requestID = params["REQUEST_ID"] ?? params["HTTP_X_REQUEST_ID"] ?? UUID().uuidString
        let length = Int(params["CONTENT_LENGTH"] ?? "") ?? 0
        let uri = params["REQUEST_URI"] ?? params["DOCUMENT_URI"] ?? "/"
        let path = String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/")
        var headers: [String: String] = [:]
        for (name, value) in params where name.hasPrefix("HTTP_") {
            headers[name.dropFirst(5).replacingOccurrences(of: "_", with: "-").lowercased()] = value
        }
        if let type = params["CONTENT_TYPE"] { headers["content-type"] = type }
        let request = HTTPRequest(method: params["REQUEST_METHOD"] ?? "GET", path: path,
                                  query: HTTPRequest.parseQuery(params["QUERY_STRING"] ?? ""), headers: headers,
                                  remoteAddress: params["REMOTE_ADDR"], requestID: requestID)
        guard case let .found(route, _) = api.router.match(method: request.method, path: request.path) else {
            // A 404 or 405 needs no body, and on an upload path it may be slow (PUT /images/load): leave it unread.
            let unmatched = request
            return Answer(response: Blocking.run { await self.api.handle(unmatched) }, bodyLeft: true)
        }
        if route.long { return handleLong(raw, request, route: route, length: length) }
        // Short routes: the web server buffered the (small) body before it called us.
        return Answer(response: respond(raw, request, length: length))
    }

    /// Reads a small body and lets the API answer.
    private func respond(_ raw: UnsafeMutablePointer<FCGX_Request>, _ request: HTTPRequest, length: Int) -> HTTPResponse {
        let (body, complete) = readBody(raw, expected: length)
        guard complete else {
            return .error(JarvisError(413, "payload_too_large", "request body over \(maxBodyBytes) bytes"), requestID: request.requestID)
        }
        var withBody = request
        withBody.body = body
        let whole = withBody
        return Blocking.run { await self.api.handle(whole) }
    }

    /// A request that may hold its worker for long. Everything that can be decided
    /// from the params (caller, role, CSRF, size, file name) is decided before a
    /// byte of the body is read; then it needs a slot in the long lane, or is told
    /// at once to come back later.
    private func handleLong(_ raw: UnsafeMutablePointer<FCGX_Request>, _ request: HTTPRequest, route: Route, length: Int) -> Answer {
        let preflight = Blocking.run { await self.api.preflight(request) }
        if let refusal = preflight.refusal {
            // An upload's body may be slow and large: never read it. Other long routes
            // carry a small body the web server already has: the API refuses them the usual way.
            if route.upload != nil { return Answer(response: refusal, bodyLeft: true) }
            return Answer(response: respond(raw, request, length: length))
        }
        let kind = api.uploadKind(request)
        if route.upload != nil {
            let limit = kind == nil ? Int64(maxBodyBytes) : api.environment.config.uploadMaxBytes
            guard Int64(length) <= limit else {
                let name = kind == nil ? "request body over \(limit) bytes" : "the upload is over the limit of \(limit) bytes (upload_max_bytes)"
                return Answer(response: .error(JarvisError(413, "payload_too_large", name), requestID: request.requestID), bodyLeft: true)
            }
        }
        let ticket: LongLaneTicket
        switch longLane.acquire(caller: preflight.caller) {
        case let .success(held):
            ticket = held
        case let .failure(error):
            logger.info("long lane full", metadata: ["route": "\(route.pattern)", "caller": "\(preflight.caller)",
                                                     "status": "\(error.status)", "request_id": "\(request.requestID)"])
            var response = HTTPResponse.error(error, requestID: request.requestID)
            response.headers.append(("X-Request-Id", request.requestID))
            return Answer(response: response, bodyLeft: true)
        }
        if let kind {
            let (response, bodyLeft) = handleUpload(raw, request, kind: kind, length: length)
            return Answer(response: response, bodyLeft: bodyLeft, ticket: ticket)
        }
        return Answer(response: respond(raw, request, length: length), ticket: ticket)
    }

    /// A file body, its caller already checked: the body goes to disk as it
    /// arrives; an upload no task took over is removed after the answer. A body
    /// found wrong (name, format, size) is refused at once, the rest unread.
    private func handleUpload(_ raw: UnsafeMutablePointer<FCGX_Request>, _ request: HTTPRequest, kind: UploadKind,
                              length: Int) -> (HTTPResponse, bodyLeft: Bool) {
        let config = api.environment.config
        let spooler = UploadSpooler(kind: kind, directory: api.environment.tasks.uploadsDir, maxBytes: config.uploadMaxBytes,
                                    contentType: request.header("content-type"), filename: request.query["filename"],
                                    contentLength: length > 0 ? Int64(length) : nil)
        if let refusal = spooler.refusal { return (.error(refusal, requestID: request.requestID), true) }
        // An image archive needs nothing but itself: its task starts on the first
        // bytes and the engine reads along while the rest arrives.
        var earlyAnswer: HTTPResponse?
        if let input = jarvis_fcgx_in(raw) {
            var buffer = [CChar](repeating: 0, count: 256 << 10)
            while true {
                let count = FCGX_GetStr(&buffer, Int32(buffer.count), input)
                if count <= 0 { break }
                buffer.withUnsafeBytes { spooler.feed(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(count)))) }
                if let refusal = spooler.refusal {
                    // A task following the file sees it go and fails; the client hears why.
                    return (.error(refusal, requestID: request.requestID), true)
                }
                if kind == .imageArchive, earlyAnswer == nil, let file = spooler.fileSoFar {
                    let answer = answer(request, with: file)
                    earlyAnswer = answer
                    if answer.status >= 300 {
                        spooler.abandon()
                        return (answer, true)
                    }
                }
            }
        }
        let outcome = spooler.finish()
        if let earlyAnswer {
            // The task already has the file; a failed body fails the task too (the file is gone).
            if case let .failure(error) = outcome { return (.error(error, requestID: request.requestID), false) }
            return (earlyAnswer, false)
        }
        switch outcome {
        case let .failure(error):
            return (.error(error, requestID: request.requestID), false)
        case let .success(file):
            return (answer(request, with: file), false)
        }
    }

    /// Hands a stored (or still arriving) file to its route; a file no task took over is removed.
    private func answer(_ request: HTTPRequest, with file: UploadedFile) -> HTTPResponse {
        var withFile = request
        withFile.upload = file
        let complete = withFile
        let response = Blocking.run { await self.api.handle(complete) }
        let kept = (try? api.environment.database.referencedUploads()) ?? []
        if !kept.contains(where: { $0.hasPrefix(file.path) }) { unlink(file.path) }
        return response
    }

    /// Reads the body up to the limit and always drains stdin to its end, so a
    /// kept connection never sees leftover records.
    private func readBody(_ raw: UnsafeMutablePointer<FCGX_Request>, expected: Int) -> ([UInt8], Bool) {
        guard let input = jarvis_fcgx_in(raw) else { return ([], true) }
        var body: [UInt8] = []
        body.reserveCapacity(min(expected, maxBodyBytes))
        var buffer = [CChar](repeating: 0, count: 65536)
        var tooLarge = expected > maxBodyBytes
        while true {
            let count = FCGX_GetStr(&buffer, Int32(buffer.count), input)
            if count <= 0 { break }
            if !tooLarge {
                buffer.withUnsafeBytes { body.append(contentsOf: $0.prefix(Int(count))) }
                if body.count > maxBodyBytes { tooLarge = true; body = [] }
            }
        }
        return (body, !tooLarge)
    }

    private func write(_ response: HTTPResponse, to raw: UnsafeMutablePointer<FCGX_Request>) {
        guard let output = jarvis_fcgx_out(raw) else { return }
        var head = "Status: \(response.status) \(HTTPResponse.reason(response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        if !response.body.isEmpty && response.header("Content-Type") == nil { head += "Content-Type: application/octet-stream\r\n" }
        if response.stream == nil { head += "Content-Length: \(response.body.count)\r\n" }
        head += "\r\n"
        let put = { (bytes: [UInt8]) throws in
            let written = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { FCGX_PutStr($0.baseAddress, Int32($0.count), output) }
            }
            if written < 0 { throw JarvisError(499, "client_gone", "the client went away") }
        }
        do {
            try put(Array(head.utf8) + response.body)
            try response.stream?(put)
        } catch {
            // Headers are out: all that is left is to log and cut the body short.
            logger.error("streamed response failed", metadata: ["error": "\(error)"])
        }
    }

    private static func params(_ raw: UnsafeMutablePointer<FCGX_Request>) -> [String: String] {
        var params: [String: String] = [:]
        guard var cursor = jarvis_fcgx_envp(raw) else { return params }
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                params[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        return params
    }
}

extension ConfigError {
    static func message(_ text: String) -> ConfigError { ConfigError(text) }
}
