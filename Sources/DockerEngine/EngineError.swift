/// The one error type of `DockerEngine`: each failure mode has its own code.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a growable set of named cases.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// No engine answered at the configured address.
        public static let engineUnreachable = Code("engine_unreachable")
        /// The engine's API is older than the oldest this client speaks (below 1.41).
        public static let engineTooOld = Code("engine_too_old")
        /// The name `engineTooOld` had before remote hosts; the same code.
        public static let unsupportedVersion = engineTooOld
        /// The engine's certificate is not signed by the given CA, or not for the expected name.
        public static let tlsUntrusted = Code("tls_untrusted")
        /// The engine's certificate has expired.
        public static let tlsExpired = Code("tls_expired")
        /// The engine refused our client certificate.
        public static let tlsClientRejected = Code("tls_client_rejected")
        /// Nothing listens at the remote address.
        public static let connectionRefused = Code("connection_refused")
        /// The engine (or the network to it) did not answer in time.
        public static let timeout = Code("timeout")
        /// The SSH server presented another host key than the pinned one.
        public static let hostKeyChanged = Code("host_key_changed")
        /// The SSH server refused our key.
        public static let sshAuthFailed = Code("ssh_auth_failed")
        /// The given CA, certificate, key or SSH key cannot be read.
        public static let invalidCredentials = Code("invalid_credentials")
        /// 404 from the engine: no such container, image, ….
        public static let notFound = Code("not_found")
        /// 409 from the engine: name in use, container running, ….
        public static let conflict = Code("conflict")
        /// 400 from the engine: the engine rejected the parameters.
        public static let badRequest = Code("bad_request")
        /// Any other non-2xx answer; the engine's message is kept.
        public static let serverError = Code("server_error")
        /// The engine answered something we could not decode.
        public static let decoding = Code("decoding")
        /// Our own caller passed something invalid (id, host string, …).
        public static let invalidArgument = Code("invalid_argument")
        public static let invalidHost = Code("invalid_host")
        /// The transfer failed mid-way (connection reset, timeout, …).
        public static let transport = Code("transport")
        /// The client is read-only and the call would change the engine's state.
        public static let readOnly = Code("read_only")
        /// The consumer stopped the call.
        public static let cancelled = Code("cancelled")
        /// The client's admission rule kept the request from leaving (host access).
        public static let refused = Code("refused")

        /// True when the request never reached a working engine: the host counts as offline,
        /// and a client negotiates the API version again next time. `engineUnreachable` and
        /// every connection-level code of remote hosts (TLS, SSH, refused, timeout).
        public var isUnreachable: Bool { Self.unreachable.contains(self) }

        private static let unreachable: Set<Code> = [
            .engineUnreachable, .connectionRefused, .timeout, .tlsUntrusted, .tlsExpired, .tlsClientRejected,
            .hostKeyChanged, .sshAuthFailed, .invalidCredentials,
        ]
    }

    public let code: Code
    /// HTTP status from the engine, when it answered.
    public let status: Int?
    public let message: String
    /// A TLS connection the peer closed right after the handshake, before we could read
    /// why: with TLS 1.3 a refused client certificate looks like this when our request
    /// crossed the server's alert. A GET is tried once more to read the alert.
    var closedAfterHandshake = false

    public init(_ code: Code, status: Int? = nil, message: String) {
        self.code = code
        self.status = status
        self.message = message
    }

    public var description: String {
        status.map { "\(code) (\($0)): \(message)" } ?? "\(code): \(message)"
    }

    /// Maps a non-2xx answer to a code, keeping the engine's `{"message": …}`.
    static func fromResponse(status: Int, body: [UInt8]) -> EngineError {
        let message = EngineMessage.decode(body) ?? "engine answered HTTP \(status)"
        switch status {
        case 404: return EngineError(.notFound, status: status, message: message)
        case 409: return EngineError(.conflict, status: status, message: message)
        case 400: return EngineError(.badRequest, status: status, message: message)
        default: return EngineError(.serverError, status: status, message: message)
        }
    }
}

private struct EngineMessage: Decodable {
    let message: String

    static func decode(_ body: [UInt8]) -> String? {
        if let decoded = try? JSONDecoderFactory.engine.decode(EngineMessage.self, from: Data(body)) { return decoded.message }
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : String(text.prefix(500))
    }
}

import Foundation
