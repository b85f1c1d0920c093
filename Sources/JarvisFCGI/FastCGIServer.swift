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
    private let logger: Logger
    private let finished = DispatchGroup()

    init(api: JarvisAPI, config: JarvisConfig, logger: Logger) throws {
        self.api = api
        self.logger = logger
        threads = config.fcgiThreads
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
        logger.info("jarvis-fcgi listening", metadata: ["socket": "\(socketPath ?? "inherited fd 0")", "threads": "\(threads)"])
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

    private func serve() {
        let request = jarvis_fcgx_request_new(listenFD)
        defer { jarvis_fcgx_request_free(request) }
        while FCGX_Accept_r(request) >= 0 {
            let response = handle(request)
            write(response, to: request)
            FCGX_Finish_r(request)
        }
    }

    private func handle(_ raw: UnsafeMutablePointer<FCGX_Request>) -> HTTPResponse {
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
        var request = HTTPRequest(method: params["REQUEST_METHOD"] ?? "GET", path: path,
                                  query: HTTPRequest.parseQuery(params["QUERY_STRING"] ?? ""), headers: headers,
                                  remoteAddress: params["REMOTE_ADDR"], requestID: requestID)
        if let kind = api.uploadKind(request) {
            return handleUpload(raw, request, kind: kind, length: length)
        }
        let (body, complete) = readBody(raw, expected: length)
        guard complete else {
            return .error(JarvisError(413, "payload_too_large", "request body over \(maxBodyBytes) bytes"), requestID: requestID)
        }
        request.body = body
        let whole = request
        return Blocking.run { await self.api.handle(whole) }
    }

    /// A file body: the caller is checked first, then the body goes to disk as it
    /// arrives; an upload no task took over is removed after the answer.
    private func handleUpload(_ raw: UnsafeMutablePointer<FCGX_Request>, _ request: HTTPRequest, kind: UploadKind, length: Int) -> HTTPResponse {
        if let refusal = Blocking.run({ await self.api.refuseUpload(request) }) {
            drainBody(raw)
            return refusal
        }
        let config = api.environment.config
        guard Int64(length) <= config.uploadMaxBytes else {
            drainBody(raw)
            return .error(JarvisError(413, "payload_too_large", "the upload is over the limit of \(config.uploadMaxBytes) bytes (upload_max_bytes)"),
                          requestID: request.requestID)
        }
        let spooler = UploadSpooler(kind: kind, directory: api.environment.tasks.uploadsDir, maxBytes: config.uploadMaxBytes,
                                    contentType: request.header("content-type"), filename: request.query["filename"],
                                    contentLength: length > 0 ? Int64(length) : nil)
        // An image archive needs nothing but itself: its task starts on the first
        // bytes and the engine reads along while the rest arrives.
        var earlyAnswer: HTTPResponse?
        if let input = jarvis_fcgx_in(raw) {
            var buffer = [CChar](repeating: 0, count: 256 << 10)
            while true {
                let count = FCGX_GetStr(&buffer, Int32(buffer.count), input)
                if count <= 0 { break }
                buffer.withUnsafeBytes { spooler.feed(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(count)))) }
                if kind == .imageArchive, earlyAnswer == nil, let file = spooler.fileSoFar {
                    let answer = answer(request, with: file)
                    earlyAnswer = answer
                    if answer.status >= 300 {
                        spooler.abandon()
                        drainBody(raw)
                        return answer
                    }
                }
            }
        }
        let outcome = spooler.finish()
        if let earlyAnswer {
            // The task already has the file; a failed body fails the task too (the file is gone).
            if case let .failure(error) = outcome { return .error(error, requestID: request.requestID) }
            return earlyAnswer
        }
        switch outcome {
        case let .failure(error):
            return .error(error, requestID: request.requestID)
        case let .success(file):
            return answer(request, with: file)
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

    private func drainBody(_ raw: UnsafeMutablePointer<FCGX_Request>) {
        guard let input = jarvis_fcgx_in(raw) else { return }
        var buffer = [CChar](repeating: 0, count: 65536)
        while FCGX_GetStr(&buffer, Int32(buffer.count), input) > 0 {}
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
