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

    enum CodingKeys: String, CodingKey { case engine, latencyMs, fingerprint, tls, ssh }

    /// Connects (5 s) and asks the engine (30 s); failures are 422s with a code per cause.
    static func run(_ host: DockerHost) async throws -> HostProbe {
        let client = DockerClient(host: host, readOnly: true)
        let result = await HostHealth.check(client)
        guard result.online, let engine = result.engine.flatMap(JSONValue.parse) else {
            throw JarvisError(422, "connection_failed", "cannot reach the engine at \(host): \(result.error ?? "no answer")").field("endpoint")
        }
        return HostProbe(engine: engine, latencyMs: result.latencyMs ?? 0, fingerprint: nil, tls: nil, ssh: nil, knownHostsLine: nil)
    }

    /// The public facts of the credentials, kept in `credential_facts` for the Hosts page.
    func facts(credentials: HostCredentials?) -> JSONValue {
        var object: [String: JSONValue] = [:]
        if let tls { object["tls"] = tls }
        if let ssh { object["ssh"] = ssh }
        return .object(object)
    }
}
