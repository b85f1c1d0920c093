import DockerEngine
import Foundation
import JarvisStore

/// What connecting to an engine showed: its facts, the round trip, and what
/// identifies it (the TLS server certificate or the SSH host key).
public struct HostProbe: Encodable, Sendable {
    public let engine: JSONValue
    public let latencyMs: Double
    /// What the admin confirms before saving; nil for a local socket.
    public let fingerprint: String?
    public let tls: JSONValue?
    public let ssh: JSONValue?
    /// The host key to pin (SSH), kept with the sealed credentials.
    let knownHostsLine: String?
    let endpoint: SSHEndpoint?

    enum CodingKeys: String, CodingKey { case engine, latencyMs, fingerprint, tls, ssh }

    /// Connects (5 s) and asks the engine (30 s); each cause of failure is a 422 with its own code, and nothing is kept.
    static func run(_ host: DockerHost) async throws -> HostProbe {
        let result: ProbeResult
        do {
            result = try await EngineProbe.probe(host)
        } catch let error as EngineError {
            let code = error.code == .engineUnreachable || error.code == .transport ? "connection_failed" : error.code.description
            throw JarvisError(422, code, error.message).field(Self.field(for: error.code))
        }
        var tls: JSONValue?
        if let server = result.serverCertificate {
            tls = .object(["server": certificate(server)])
        }
        var ssh: JSONValue?
        var endpoint: SSHEndpoint?
        if let key = result.hostKey {
            ssh = .object(["host_key": .string(key.fingerprint), "key_type": .string(key.type)])
            if case let .ssh(probed) = result.host.transport { endpoint = probed }
        }
        return HostProbe(engine: JSONValue.parse(jsonText(result.engine)) ?? .object([:]), latencyMs: result.latencyMs,
                         fingerprint: result.fingerprint, tls: tls, ssh: ssh, knownHostsLine: result.hostKey?.knownHostsLine,
                         endpoint: endpoint)
    }

    static func field(for code: EngineError.Code) -> String {
        switch code {
        case .tlsClientRejected: return "tls.cert"
        case .tlsUntrusted, .tlsExpired: return "tls.ca"
        case .sshAuthFailed: return "ssh.private_key"
        case .invalidCredentials: return "tls"
        default: return "endpoint"
        }
    }

    static func certificate(_ facts: CertificateFacts) -> JSONValue {
        .object(["subject": .string(facts.subject), "issuer": .string(facts.issuer), "sha256": .string(facts.sha256),
                 "not_after": .string(Timestamp.string(facts.notAfter))])
    }

    /// The public facts of the credentials, kept in `credential_facts` for the Hosts page.
    func facts(credentials: HostCredentials?) -> JSONValue {
        var object: [String: JSONValue] = [:]
        if let credentials, let ca = credentials.ca, let cert = credentials.cert, let key = credentials.key,
           let parsed = try? TLSMaterial(caPEM: ca, certPEM: cert, keyPEM: key).credentialFacts() {
            var tlsFacts: [String: JSONValue] = ["ca": Self.certificate(parsed.ca), "client": Self.certificate(parsed.client),
                                                 "server_name": credentials.serverName.map(JSONValue.string) ?? .null]
            if case let .object(server)? = tls { tlsFacts.merge(server) { current, _ in current } }
            object["tls"] = .object(tlsFacts)
        }
        if let endpoint {
            object["ssh"] = .object(["user": .string(endpoint.user), "host": .string(endpoint.host), "port": .number(Double(endpoint.port)),
                                     "socket": .string(endpoint.remoteSocket), "host_key": ssh?["host_key"] ?? .null])
        }
        return .object(object)
    }
}
