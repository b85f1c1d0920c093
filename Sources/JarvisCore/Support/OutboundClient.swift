import CCurl
import Foundation

/// A small general-purpose outbound client on libcurl's easy interface: one HTTP request (webhooks,
/// registries) or one SMTP submission, run on a worker thread so async callers never block the pool.
/// (DockerClient's multi loop is for engine streams; this is for short requests to other services.)
public enum OutboundClient {
    /// What a service answered, or why it could not be reached.
    public struct Answer: Sendable {
        public var status: Int
        public var body: String
        /// Set when the transfer itself failed (connect, TLS, timeout); `status` is 0 then.
        public var transportError: String?
        /// The final response's headers, names lowercased (a repeated header keeps its last value).
        public var headers: [String: String] = [:]
        /// The answer was longer than `maxBody` and the request asked to fail then (`failOverMax`).
        public var overflowed = false

        public func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// One HTTP request.
    public struct HTTPRequest: Sendable {
        public var method: String
        public var url: String
        public var headers: [(String, String)]
        public var body: [UInt8]
        public var timeout: Int = 15
        public var verifyTLS = true
        /// Bytes of the answer kept; the rest is read and dropped, or with `failOverMax` the transfer ends.
        public var maxBody = 65536
        public var failOverMax = false
        /// Redirects followed (http and https only); 0 answers the redirect itself.
        public var maxRedirects = 0
        public var userAgent = "Jarvis-Notifications/1"

        public init(method: String = "POST", url: String, headers: [(String, String)] = [], body: [UInt8] = []) {
            self.method = method; self.url = url; self.headers = headers; self.body = body
        }
    }

    /// One mail submission.
    public struct SMTPRequest: Sendable {
        /// `smtp://host:port` (STARTTLS when `startTLS`) or `smtps://host:port` (implicit TLS).
        public var url: String
        public var startTLS: Bool
        public var verifyTLS: Bool
        public var caPem: String?
        public var username: String?
        public var password: String?
        public var from: String
        public var to: [String]
        public var message: [UInt8]
        public var timeout: Int = 30
    }

    public static func send(_ request: HTTPRequest) async -> Answer {
        await onThread { perform(http: request) }
    }

    public static func send(_ request: SMTPRequest) async -> Answer {
        await onThread { perform(smtp: request) }
    }

    private static func onThread(_ body: @escaping @Sendable () -> Answer) async -> Answer {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    }

    /// Buffers of one transfer; curl's callbacks reach it through the context pointer.
    private final class Buffers {
        var upload: [UInt8]
        var offset = 0
        var received: [UInt8] = []
        var maxBody = 65536
        var failOverMax = false
        var overflowed = false
        var headers: [String: String] = [:]
        init(upload: [UInt8]) { self.upload = upload }
    }

    private static func perform(http request: HTTPRequest) -> Answer {
        guard let easy = curl_easy_init() else { return Answer(status: 0, body: "", transportError: "curl did not start") }
        defer { curl_easy_cleanup(easy) }
        let buffers = Buffers(upload: request.body)
        buffers.maxBody = request.maxBody
        buffers.failOverMax = request.failOverMax
        if request.maxRedirects > 0 {
            jarvis_curl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 1)
            jarvis_curl_setopt_long(easy, CURLOPT_MAXREDIRS, request.maxRedirects)
            jarvis_curl_setopt_long(easy, CURLOPT_REDIR_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
        }
        var headers: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headers) }
        for (name, value) in request.headers { headers = curl_slist_append(headers, "\(name): \(value)") }
        headers = curl_slist_append(headers, "Expect:")
        jarvis_curl_setopt_string(easy, CURLOPT_URL, request.url)
        if request.method == "HEAD" {
            jarvis_curl_setopt_long(easy, CURLOPT_NOBODY, 1)
        } else {
            jarvis_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if !request.body.isEmpty || request.method == "POST" || request.method == "PUT" {
            jarvis_curl_setopt_long(easy, CURLOPT_POST, 1)
            jarvis_curl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
        }
        jarvis_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, headers)
        jarvis_curl_setopt_string(easy, CURLOPT_USERAGENT, request.userAgent)
        if !request.verifyTLS {
            jarvis_curl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            jarvis_curl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
        jarvis_curl_setopt_long(easy, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
        return run(easy, buffers, timeout: request.timeout)
    }

    private static func perform(smtp request: SMTPRequest) -> Answer {
        guard let easy = curl_easy_init() else { return Answer(status: 0, body: "", transportError: "curl did not start") }
        defer { curl_easy_cleanup(easy) }
        let buffers = Buffers(upload: request.message)
        var recipients: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(recipients) }
        for address in request.to { recipients = curl_slist_append(recipients, "<\(address)>") }
        jarvis_curl_setopt_string(easy, CURLOPT_URL, request.url)
        jarvis_curl_setopt_long(easy, CURLOPT_PROTOCOLS, Int(CURLPROTO_SMTP | CURLPROTO_SMTPS))
        if request.startTLS { jarvis_curl_setopt_long(easy, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)) }
        if !request.verifyTLS {
            jarvis_curl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            jarvis_curl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let pem = request.caPem, !pem.isEmpty {
            let bytes = Array(pem.utf8)
            bytes.withUnsafeBytes { jarvis_curl_setopt_blob(easy, CURLOPT_CAINFO_BLOB, $0.baseAddress!, bytes.count) }
        }
        if let username = request.username, !username.isEmpty {
            jarvis_curl_setopt_string(easy, CURLOPT_USERNAME, username)
            jarvis_curl_setopt_string(easy, CURLOPT_PASSWORD, request.password ?? "")
        }
        jarvis_curl_setopt_string(easy, CURLOPT_MAIL_FROM, "<\(request.from)>")
        jarvis_curl_setopt_slist(easy, CURLOPT_MAIL_RCPT, recipients)
        jarvis_curl_setopt_long(easy, CURLOPT_UPLOAD, 1)
        jarvis_curl_setopt_off_t(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.message.count))
        return run(easy, buffers, timeout: request.timeout)
    }

    private static func run(_ easy: UnsafeMutableRawPointer, _ buffers: Buffers, timeout: Int) -> Answer {
        jarvis_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        jarvis_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT, 10)
        jarvis_curl_setopt_long(easy, CURLOPT_TIMEOUT, timeout)
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        jarvis_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        let context = Unmanaged.passUnretained(buffers).toOpaque()
        jarvis_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, context)
        jarvis_curl_setopt_pointer(easy, CURLOPT_READDATA, context)
        jarvis_curl_setopt_write_function(easy) { data, size, count, context in
            let buffers = Unmanaged<Buffers>.fromOpaque(context!).takeUnretainedValue()
            let total = size * count
            // Answers are kept for the log (the first 64 KB is plenty) or parsed (registry manifests, template lists).
            if buffers.failOverMax && buffers.received.count + total > buffers.maxBody {
                buffers.overflowed = true
                return 0  // curl ends the transfer with a write error
            }
            if buffers.received.count < buffers.maxBody {
                buffers.received.append(contentsOf: UnsafeRawBufferPointer(start: data, count: min(total, buffers.maxBody - buffers.received.count)))
            }
            return total
        }
        jarvis_curl_setopt_pointer(easy, CURLOPT_HEADERDATA, context)
        jarvis_curl_setopt_header_function(easy) { data, size, count, context in
            let buffers = Unmanaged<Buffers>.fromOpaque(context!).takeUnretainedValue()
            let total = size * count
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: total), as: UTF8.self)
            // A new status line (after a 100 or a redirect) starts the final answer's headers afresh.
            if line.hasPrefix("HTTP/") { buffers.headers = [:] }
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                buffers.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return total
        }
        jarvis_curl_setopt_read_function(easy) { buffer, size, count, context in
            let buffers = Unmanaged<Buffers>.fromOpaque(context!).takeUnretainedValue()
            let length = min(size * count, buffers.upload.count - buffers.offset)
            buffers.upload.withUnsafeBytes { bytes in
                UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + buffers.offset, byteCount: length)
            }
            buffers.offset += length
            return length
        }
        let code = withExtendedLifetime(buffers) { curl_easy_perform(easy) }
        var status = 0
        jarvis_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        let body = String(decoding: buffers.received, as: UTF8.self)
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            return Answer(status: status, body: body, transportError: message, headers: buffers.headers, overflowed: buffers.overflowed)
        }
        return Answer(status: status, body: body, transportError: nil, headers: buffers.headers)
    }
}
