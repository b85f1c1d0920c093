import CCurl
import Foundation

/// Turns a failed curl transfer into the `EngineError` an operator can act on. curl's
/// code says which phase failed; its error buffer (OpenSSL's reason) says why.
enum CurlFailure {
    static func error(_ code: CURLcode, detail: String, trace: String = "", answered: Bool = false, route: EngineRoute) -> EngineError {
        var reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        // A TLS reason in the trace beats the first failure curl kept (often an unrelated getpeername()).
        let tlsWords = ["alert", "certificate", "ssl"]
        if let traced = trace.split(separator: "\n").last(where: { line in tlsWords.contains { line.lowercased().contains($0) } && line.contains("error") }) {
            reason = traced.trimmingCharacters(in: .whitespaces)
        }
        let lower = reason.lowercased()
        let at = route.label
        if route.kind == .unix {
            // A local socket keeps its old codes: callers treat these as "engine down".
            switch code {
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
                return EngineError(.engineUnreachable, message: "cannot connect to the Docker engine: \(reason)")
            case CURLE_OPERATION_TIMEDOUT:
                return EngineError(.timeout, message: "the Docker engine did not answer in time: \(reason)")
            default:
                return EngineError(.transport, message: "engine transfer failed: \(reason)")
            }
        }
        if let tls = tlsError(code, lower: lower, reason: reason, answered: answered, route: route) { return tls }
        switch code {
        case CURLE_COULDNT_CONNECT:
            if lower.contains("timed out") { return EngineError(.timeout, message: "no answer from \(at) within the connect timeout: \(reason)") }
            if route.kind == .ssh {
                return EngineError(.engineUnreachable, message: "the SSH tunnel to \(at) is not accepting connections: \(reason)")
            }
            if lower.contains("refused") || lower.contains("couldn't connect") {
                return EngineError(.connectionRefused, message: "nothing accepts connections at \(at) (connection refused): is the engine listening on that port?")
            }
            return EngineError(.engineUnreachable, message: "cannot connect to \(at): \(reason)")
        case CURLE_OPERATION_TIMEDOUT:
            return EngineError(.timeout, message: "no answer from \(at) in time: \(reason)")
        case CURLE_COULDNT_RESOLVE_HOST:
            return EngineError(.engineUnreachable, message: "cannot resolve the host of \(at): \(reason)")
        case CURLE_GOT_NOTHING where route.kind == .ssh, CURLE_RECV_ERROR where route.kind == .ssh:
            return EngineError(.engineUnreachable, message: "the SSH tunnel to \(at) is up but the remote engine socket did not answer (missing, or the user may not open it): \(reason)")
        default:
            return EngineError(.transport, message: "transfer with \(at) failed: \(reason)")
        }
    }

    /// TLS failures by what went wrong; nil when the failure is not about TLS.
    private static func tlsError(_ code: CURLcode, lower: String, reason: String, answered: Bool, route: EngineRoute) -> EngineError? {
        guard route.kind == .tls else { return nil }
        let at = route.label
        let name = route.tls?.serverName.map { "\"\($0)\"" } ?? "its address"
        // The server's alert about our certificate: after a TLS 1.3 handshake it arrives on the first read.
        let clientAlerts = ["alert bad certificate", "alert unknown ca", "alert certificate required", "alert certificate unknown",
                            "alert certificate revoked", "alert certificate expired", "alert unsupported certificate", "alert access denied"]
        if clientAlerts.contains(where: lower.contains) {
            return EngineError(.tlsClientRejected, message: "the engine at \(at) refused our client certificate (\(reason)): is it signed by the CA the engine trusts (--tlscacert)?")
        }
        switch code {
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR:
            if lower.contains("certificate has expired") {
                return EngineError(.tlsExpired, message: "the certificate of the engine at \(at) has expired (\(reason))")
            }
            if lower.contains("subject name") || lower.contains("does not match target host") {
                return EngineError(.tlsUntrusted, message: "the certificate of the engine at \(at) is not valid for \(name) (\(reason))")
            }
            if code == CURLE_PEER_FAILED_VERIFICATION || lower.contains("certificate") {
                return EngineError(.tlsUntrusted, message: "the certificate of the engine at \(at) is not trusted by the given CA (\(reason))")
            }
            return EngineError(.engineUnreachable, message: "TLS handshake with \(at) failed (\(reason)): is this the engine's TLS port?")
        case CURLE_SSL_CERTPROBLEM:
            return EngineError(.invalidCredentials, message: "the client certificate or key cannot be used (\(reason))")
        case CURLE_SSL_CACERT_BADFILE:
            return EngineError(.invalidCredentials, message: "the CA certificate cannot be used (\(reason))")
        case CURLE_SEND_ERROR where !answered, CURLE_RECV_ERROR where !answered, CURLE_GOT_NOTHING where !answered:
            var error = EngineError(.engineUnreachable, message: "the engine at \(at) closed the connection right after the TLS handshake (\(reason)): "
                + "it may have refused our client certificate, or the engine behind a TLS proxy is down")
            error.closedAfterHandshake = true
            return error
        default:
            return nil
        }
    }
}
