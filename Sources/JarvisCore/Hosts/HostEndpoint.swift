import DockerEngine
import Foundation

/// The secret half of a host's settings, sealed at rest with the secrets key and
/// never returned by the API: TLS client material or the SSH private key and pinned host key.
public struct HostCredentials: Codable, Sendable, Equatable {
    public var ca: String?
    public var cert: String?
    public var key: String?
    public var serverName: String?
    public var sshKey: String?
    public var sshKnownHost: String?
    public var sshSocket: String?

    public init(ca: String? = nil, cert: String? = nil, key: String? = nil, serverName: String? = nil,
                sshKey: String? = nil, sshKnownHost: String? = nil, sshSocket: String? = nil) {
        self.ca = ca
        self.cert = cert
        self.key = key
        self.serverName = serverName
        self.sshKey = sshKey
        self.sshKnownHost = sshKnownHost
        self.sshSocket = sshSocket
    }

    static func open(_ sealed: String, box: SecretBox) throws -> HostCredentials {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(HostCredentials.self, from: Data(try box.open(sealed).utf8))
    }

    func seal(box: SecretBox) throws -> String { try box.seal(jsonText(self)) }
}

/// Endpoint text (`unix:///path`, `tcp://host:port`, `ssh://user@host[:port]`) plus credentials to a client's `DockerHost`.
public enum HostEndpoint {
    public static func transport(of endpoint: String, credentials: HostCredentials?) -> String {
        if endpoint.hasPrefix("ssh://") { return "ssh" }
        if endpoint.hasPrefix("tcp://") { return credentials?.ca != nil ? "tls" : "tcp" }
        return "unix"
    }

    public static func dockerHost(endpoint: String, transport: String, credentials: HostCredentials?) throws -> DockerHost {
        switch transport {
        case "tls":
            guard let credentials, let ca = credentials.ca, let cert = credentials.cert, let key = credentials.key,
                  case let .tcp(host, port) = try DockerHost.parse(endpoint).transport else {
                throw JarvisError.invalidField("tls", "a TLS host needs tcp://host:port, the CA, the client certificate and its key")
            }
            return DockerHost(.tls(host: host, port: port, TLSMaterial(caPEM: ca, certPEM: cert, keyPEM: key, serverName: credentials.serverName)))
        case "ssh":
            guard let key = credentials?.sshKey else { throw JarvisError.invalidField("ssh.private_key", "an SSH host needs its private key") }
            return DockerHost(.ssh(try SSHEndpoint.parse(endpoint, privateKeyPEM: key,
                                                         remoteSocket: credentials?.sshSocket ?? "/var/run/docker.sock",
                                                         knownHostsLine: credentials?.sshKnownHost)))
        default:
            return try DockerHost.parse(endpoint)
        }
    }
}
