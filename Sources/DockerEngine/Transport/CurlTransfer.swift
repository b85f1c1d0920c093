import CCurl
import Foundation

/// One easy handle and everything its callbacks touch. Callbacks run on the
/// `CurlLoop` thread; consumers read through the lock from any thread.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// CONNECT_TO entry of a TLS host with a server name; curl keeps only the pointer.
    private var connectToList: UnsafeMutablePointer<curl_slist>?
    /// curl's reasons for a failure; released after the handle (see deinit).
    private var diagnostics: CurlDiagnostics!
    private let requestBody: [UInt8]
    private var requestBodyOffset = 0
    /// Open file behind `EngineRequest.bodyFile`, read on curl's demand.
    private var bodyFD: Int32 = -1
    /// Why the file body could not be opened; reported when the transfer starts.
    private(set) var setupError: EngineError?
    private let followsWriter: Bool
    /// Why reading a followed file stopped early; replaces curl's "aborted by callback".
    private var bodyError: EngineError?

    /// The engine as metrics name it (`EngineRoute.label`).
    let engineLabel: String

    private let lock = NSLock()
    private var status = 0
    private var headers: [String: String] = [:]
    private var headDone = false
    private var headWaiter: CheckedContinuation<Void, Error>?
    private var chunks: [[UInt8]] = []
    private var chunkIndex = 0
    private var bufferedBytes = 0
    private var pausedForBackpressure = false
    private var bodyWaiter: CheckedContinuation<[UInt8]?, Error>?
    private var outcome: Result<Void, EngineError>?
    private weak var loop: CurlLoop?

    /// Above this many unread bytes the transfer pauses until the consumer catches up.
    static let highWater = 1 << 20
    static let lowWater = 256 << 10

    init(request: EngineRequest, route: EngineRoute, version: APIVersion?) {
        easy = curl_easy_init()
        engineLabel = route.label
        requestBody = request.body ?? []
        followsWriter = request.bodyFile != nil && request.bodyFollowsWriter
        let url = request.url(base: route.baseURL, version: version)
        jarvis_curl_setopt_string(easy, CURLOPT_URL, url)
        connectToList = route.apply(to: easy)
        diagnostics = CurlDiagnostics(easy: easy, route: route)
        if request.collectCertificates { jarvis_curl_setopt_long(easy, CURLOPT_CERTINFO, 1) }
        if request.freshConnection { jarvis_curl_setopt_long(easy, CURLOPT_FRESH_CONNECT, 1) }
        jarvis_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        jarvis_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT, 5)
        jarvis_curl_setopt_long(easy, CURLOPT_TIMEOUT, request.timeout)
        jarvis_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        if request.method == "HEAD" { jarvis_curl_setopt_long(easy, CURLOPT_NOBODY, 1) }
        var headerLines = request.headers.map { "\($0.0): \($0.1)" }
        if let path = request.bodyFile {
            bodyFD = open(path, O_RDONLY | O_CLOEXEC)
            var info = stat()
            if bodyFD < 0 || fstat(bodyFD, &info) != 0 {
                setupError = EngineError(.invalidArgument, message: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            jarvis_curl_setopt_long(easy, CURLOPT_POST, 1)
            if followsWriter {
                jarvis_curl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, -1)
                headerLines.append("Transfer-Encoding: chunked")
            } else {
                jarvis_curl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(setupError == nil ? info.st_size : 0))
            }
            jarvis_curl_setopt_long(easy, CURLOPT_UPLOAD_BUFFERSIZE, 512 << 10)
            if !request.headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                headerLines.append("Content-Type: application/x-tar")
            }
        } else if request.body != nil {
            jarvis_curl_setopt_long(easy, CURLOPT_POST, 1)
            jarvis_curl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(requestBody.count))
            if !request.headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                headerLines.append("Content-Type: application/json")
            }
        }
        headerLines.append("Expect:")  // no 100-continue round trip
        for line in headerLines { headerList = curl_slist_append(headerList, line) }
        jarvis_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)

        let context = Unmanaged.passUnretained(self).toOpaque()
        jarvis_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, context)
        jarvis_curl_setopt_pointer(easy, CURLOPT_HEADERDATA, context)
        jarvis_curl_setopt_pointer(easy, CURLOPT_READDATA, context)
        jarvis_curl_setopt_pointer(easy, CURLOPT_PRIVATE, context)
        jarvis_curl_setopt_write_function(easy) { data, size, count, context in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().received(data, size * count)
        }
        jarvis_curl_setopt_header_function(easy) { data, size, count, context in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().receivedHeader(data, size * count)
        }
        if request.body != nil || request.bodyFile != nil {
            jarvis_curl_setopt_read_function(easy) { buffer, size, count, context in
                Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().fill(buffer, size * count)
            }
        }
    }

    deinit {
        if bodyFD >= 0 { close(bodyFD) }
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        curl_slist_free_all(connectToList)
    }

    /// The failure of this transfer as an `EngineError` (loop thread, once curl finished).
    func failure(_ code: CURLcode) -> EngineError { diagnostics.error(code, answered: lock.withLock { status != 0 }) }

    /// The peer's certificate chain as PEM, leaf first (after a TLS transfer with `collectCertificates`).
    func peerCertificates() -> [String] {
        (0..<jarvis_curl_certinfo_count(easy)).compactMap { index in
            jarvis_curl_certinfo_field(easy, index, "Cert").map { String(cString: $0) }
        }
    }

    func attach(to loop: CurlLoop) { self.loop = loop }

    /// Before the transfer starts only.
    func setReceiveBuffer(_ bytes: Int) { jarvis_curl_setopt_long(easy, CURLOPT_BUFFERSIZE, bytes) }

    // MARK: callbacks (loop thread)

    private func fill(_ buffer: UnsafeMutablePointer<CChar>, _ capacity: Int) -> Int {
        if bodyFD >= 0 {
            let count = read(bodyFD, buffer, capacity)
            if count == 0 && followsWriter { return awaitWriter(buffer, capacity) }
            return count < 0 ? Int(CURL_READFUNC_ABORT) : count
        }
        let count = min(capacity, requestBody.count - requestBodyOffset)
        requestBody.withUnsafeBytes { bytes in
            UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + requestBodyOffset, byteCount: count)
        }
        requestBodyOffset += count
        return count
    }

    /// Caught up with a file still being written: end, fail, or pause until more arrives.
    private func awaitWriter(_ buffer: UnsafeMutablePointer<CChar>, _ capacity: Int) -> Int {
        var info = stat()
        guard fstat(bodyFD, &info) == 0 else { return Int(CURL_READFUNC_ABORT) }
        if info.st_nlink == 0 {
            bodyError = EngineError(.invalidArgument, message: "the upload did not complete")
            return Int(CURL_READFUNC_ABORT)
        }
        if info.st_mode & S_IWUSR == 0 {
            // The writer finished; what it wrote after our last read is still to come.
            let count = read(bodyFD, buffer, capacity)
            return count < 0 ? Int(CURL_READFUNC_ABORT) : count
        }
        if time(nil) - info.st_mtim.tv_sec > EngineRequest.writerStallSeconds {
            bodyError = EngineError(.invalidArgument, message: "the upload stopped arriving for \(EngineRequest.writerStallSeconds) s")
            return Int(CURL_READFUNC_ABORT)
        }
        loop?.retryReadSoon(self)
        return Int(CURL_READFUNC_PAUSE)
    }

    private func receivedHeader(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            let parts = line.split(separator: " ")
            lock.withLock {
                status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
                headers = [:]
            }
        } else if line == "\r\n" || line == "\n" {
            var waiter: CheckedContinuation<Void, Error>?
            lock.withLock {
                guard status >= 200 else { return }  // 1xx interim answers are followed by the real one
                headDone = true
                waiter = headWaiter
                headWaiter = nil
            }
            waiter?.resume()
        } else if let colon = line.utf8.firstIndex(of: UInt8(ascii: ":")) {
            // ASCII trimming by hand: Foundation's trimmingCharacters was a visible share of every request.
            let name = line[..<colon].lowercased()
            let value = Self.trimmed(line.utf8[line.utf8.index(after: colon)...])
            lock.withLock { headers[name] = value }
        }
        return count
    }

    /// `bytes` without leading and trailing spaces, tabs, CR and LF.
    static func trimmed(_ bytes: Substring.UTF8View) -> String {
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) }) else { return "" }
        return String(Substring(bytes[first...last]))
    }

    private func received(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        let bytes = [UInt8](UnsafeRawBufferPointer(start: data, count: count))
        var waiter: CheckedContinuation<[UInt8]?, Error>?
        let pause: Bool = lock.withLock {
            if let pending = bodyWaiter, chunkIndex == chunks.count {
                waiter = pending
                bodyWaiter = nil
                return false
            }
            if bufferedBytes >= Self.highWater && isStreaming {
                pausedForBackpressure = true
                return true  // curl keeps these bytes and delivers them again on unpause
            }
            chunks.append(bytes)
            bufferedBytes += count
            return false
        }
        if pause { return jarvis_curl_writefunc_pause() }
        waiter?.resume(returning: bytes)
        return count
    }

    /// Streams read as they go; buffered calls keep everything until completion.
    var isStreaming = false

    /// Called by the loop once curl is done with the handle.
    func complete(_ result: Result<Void, EngineError>) {
        var head: CheckedContinuation<Void, Error>?
        var body: CheckedContinuation<[UInt8]?, Error>?
        var result = result
        if case .failure = result, let bodyError { result = .failure(bodyError) }
        lock.withLock {
            guard outcome == nil else { return }
            outcome = result
            head = headWaiter; headWaiter = nil
            body = bodyWaiter; bodyWaiter = nil
        }
        switch result {
        case .success:
            head?.resume()
            body?.resume(returning: nil)
        case let .failure(error):
            head?.resume(throwing: error)
            body?.resume(throwing: error)
        }
    }

    // MARK: consumer side

    /// Waits until the status line and headers arrived (or the transfer ended).
    func waitForHead() async throws -> (status: Int, headers: [String: String]) {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            let state: Result<Void, EngineError>?? = lock.withLock {
                if headDone { return .some(nil) }
                if let outcome { return .some(outcome) }
                headWaiter = continuation
                return .none
            }
            switch state {
            case .none: break
            case .some(.none): continuation.resume()
            case let .some(.some(result)):
                if case let .failure(error) = result { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
        return lock.withLock { (status, headers) }
    }

    /// The next chunk of the body, or nil at its end.
    func nextChunk() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, Error>) in
            enum Next { case chunk([UInt8]), end, failed(EngineError), wait }
            var unpause = false
            let next: Next = lock.withLock {
                if chunkIndex < chunks.count {
                    let chunk = chunks[chunkIndex]
                    chunkIndex += 1
                    bufferedBytes -= chunk.count
                    if chunkIndex == chunks.count { chunks.removeAll(keepingCapacity: true); chunkIndex = 0 }
                    if pausedForBackpressure && bufferedBytes <= Self.lowWater {
                        pausedForBackpressure = false
                        unpause = true
                    }
                    return .chunk(chunk)
                }
                switch outcome {
                case .success?: return .end
                case let .failure(error)?: return .failed(error)
                case nil:
                    if pausedForBackpressure { pausedForBackpressure = false; unpause = true }
                    bodyWaiter = continuation
                    return .wait
                }
            }
            if unpause { loop?.unpause(self) }
            switch next {
            case let .chunk(chunk): continuation.resume(returning: chunk)
            case .end: continuation.resume(returning: nil)
            case let .failed(error): continuation.resume(throwing: error)
            case .wait: break
            }
        }
    }

    /// Every chunk already received, without waiting (empty when none is buffered).
    func takeBuffered() -> [[UInt8]] {
        var unpause = false
        let taken: [[UInt8]] = lock.withLock {
            guard chunkIndex < chunks.count else { return [] }
            let rest = Array(chunks[chunkIndex...])
            chunks.removeAll(keepingCapacity: true)
            chunkIndex = 0
            bufferedBytes = 0
            if pausedForBackpressure { pausedForBackpressure = false; unpause = true }
            return rest
        }
        if unpause { loop?.unpause(self) }
        return taken
    }

    /// Stops the transfer; safe from any thread, any number of times.
    func cancel() { loop?.cancel(self) }
}
