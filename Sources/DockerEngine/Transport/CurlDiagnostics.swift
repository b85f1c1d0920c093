import CCurl

/// What curl says about a failing transfer: its error buffer and, for TLS, the trace
/// of informational texts (the server's alert about our certificate may only be there).
/// Must outlive the easy handle it is attached to.
final class CurlDiagnostics {
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private var trace: UnsafeMutablePointer<jarvis_curl_trace>?
    let route: EngineRoute

    init(easy: UnsafeMutableRawPointer, route: EngineRoute) {
        self.route = route
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        jarvis_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        if route.kind == .tls {
            let trace = UnsafeMutablePointer<jarvis_curl_trace>.allocate(capacity: 1)
            jarvis_curl_trace_text(easy, trace)
            self.trace = trace
        }
    }

    deinit {
        errorBuffer.deallocate()
        trace?.deallocate()
    }

    /// The failure as an `EngineError` (once curl is done with the handle); `answered`
    /// when the engine's answer had begun (a TLS failure then is not about the handshake).
    func error(_ code: CURLcode, answered: Bool = false) -> EngineError {
        var traced = ""
        if let trace {
            traced = withUnsafePointer(to: &trace.pointee.text) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: trace.pointee.text)) { String(cString: $0) }
            }
        }
        return CurlFailure.error(code, detail: String(cString: errorBuffer), trace: traced, answered: answered, route: route)
    }
}
