import CCurl
import Foundation

/// Whether a TLS engine accepts our client certificate, read without racing the server.
/// With TLS 1.3 the server judges the certificate after the handshake; if a request is
/// already on its way, the server's close can reach us before its alert, and the reason is
/// lost. Here nothing is sent: we wait for the server's first records — session tickets
/// when it accepted us, an alert when it did not.
enum TLSHandshakeCheck {
    static func run(_ route: EngineRoute, wait milliseconds: Int32 = 2000) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result { try check(route, wait: milliseconds) })
            }
        }
    }

    private static func check(_ route: EngineRoute, wait milliseconds: Int32) throws {
        guard let easy = curl_easy_init() else { throw EngineError(.transport, message: "curl_easy_init failed") }
        jarvis_curl_setopt_string(easy, CURLOPT_URL, route.baseURL)
        let connectTo = route.apply(to: easy)
        let diagnostics = CurlDiagnostics(easy: easy, route: route)
        defer {
            curl_easy_cleanup(easy)
            curl_slist_free_all(connectTo)
            _ = diagnostics
        }
        jarvis_curl_setopt_long(easy, CURLOPT_CONNECT_ONLY, 1)
        jarvis_curl_setopt_long(easy, CURLOPT_FRESH_CONNECT, 1)
        jarvis_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT, 5)
        jarvis_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        let code = curl_easy_perform(easy)
        guard code == CURLE_OK else { throw diagnostics.error(code) }
        var socket: curl_socket_t = -1
        jarvis_curl_getinfo_socket(easy, &socket)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(milliseconds) * 1_000_000
        var buffer = [UInt8](repeating: 0, count: 4096)
        while DispatchTime.now().uptimeNanoseconds < deadline {
            let left = Int32((deadline - DispatchTime.now().uptimeNanoseconds) / 1_000_000)
            var entry = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, max(left, 1)) == 1 else { return }  // silent server: nothing refused us
            var received = 0
            let result = buffer.withUnsafeMutableBytes { curl_easy_recv(easy, $0.baseAddress!, $0.count, &received) }
            if result == CURLE_AGAIN { return }  // session tickets only: the server took our certificate
            if result != CURLE_OK { throw diagnostics.error(result) }
            if received == 0 { throw diagnostics.error(CURLE_GOT_NOTHING) }
            return  // application data unasked: not our concern here
        }
    }
}
