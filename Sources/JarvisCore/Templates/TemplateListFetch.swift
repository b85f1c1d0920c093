import CCurl
import Foundation

/// Fetches a template list from an admin's URL: http(s) only, at most `maxBytes` (the transfer is
/// cut off past it), `timeout` seconds in all, redirects followed up to 3 times (still http(s)).
/// Runs on a dispatch thread so the caller's pool is never blocked.
enum TemplateListFetch {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func get(_ url: String, maxBytes: Int, timeout: Int = 20) async throws -> Data {
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
            throw Failure(description: "the URL must be http:// or https://")
        }
        let result: Result<Data, Failure> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: perform(url, maxBytes: maxBytes, timeout: timeout)) }
        }
        return try result.get()
    }

    private final class Sink {
        let limit: Int
        var received = Data()
        var overflow = false
        init(limit: Int) { self.limit = limit }
    }

    private static func perform(_ url: String, maxBytes: Int, timeout: Int) -> Result<Data, Failure> {
        guard let easy = curl_easy_init() else { return .failure(Failure(description: "curl did not start")) }
        defer { curl_easy_cleanup(easy) }
        let sink = Sink(limit: maxBytes)
        jarvis_curl_setopt_string(easy, CURLOPT_URL, url)
        jarvis_curl_setopt_string(easy, CURLOPT_USERAGENT, "Jarvis-Templates/1")
        jarvis_curl_setopt_long(easy, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
        jarvis_curl_setopt_long(easy, CURLOPT_REDIR_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
        jarvis_curl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 1)
        jarvis_curl_setopt_long(easy, CURLOPT_MAXREDIRS, 3)
        jarvis_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        jarvis_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT, 10)
        jarvis_curl_setopt_long(easy, CURLOPT_TIMEOUT, timeout)
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        jarvis_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        jarvis_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
        jarvis_curl_setopt_write_function(easy) { data, size, count, context in
            let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
            let total = size * count
            guard sink.received.count + total <= sink.limit else {
                sink.overflow = true
                return 0  // curl ends the transfer with a write error
            }
            sink.received.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: total)
            return total
        }
        let code = withExtendedLifetime(sink) { curl_easy_perform(easy) }
        if sink.overflow { return .failure(Failure(description: "the list is larger than \(maxBytes) bytes")) }
        var status = 0
        jarvis_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            return .failure(Failure(description: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail))
        }
        guard (200..<300).contains(status) else { return .failure(Failure(description: "the server answered HTTP \(status)")) }
        return .success(sink.received)
    }
}
