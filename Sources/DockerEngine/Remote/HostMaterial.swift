import Foundation

/// What a `--tlsverify` engine needs from its client, as PEM text. Never logged:
/// `description` shows only whether a server name is set.
public struct TLSMaterial: Sendable, Equatable, CustomStringConvertible {
    /// The CA that signed the engine's certificate; the only CA trusted for this host.
    public var caPEM: String
    /// Our client certificate and its private key.
    public var certPEM: String
    public var keyPEM: String
    /// The name checked against the engine's certificate; nil = the address itself.
    public var serverName: String?

    public init(caPEM: String, certPEM: String, keyPEM: String, serverName: String? = nil) {
        self.caPEM = caPEM
        self.certPEM = certPEM
        self.keyPEM = keyPEM
        self.serverName = serverName
    }

    public var description: String { serverName.map { "TLS(server name \($0))" } ?? "TLS" }
}

/// An engine socket on another machine reached as `user@host:port` with a key.
public struct SSHEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var host: String
    public var port: Int
    /// The engine's socket on the remote machine.
    public var remoteSocket: String
    /// OpenSSH or PEM private key without passphrase; never logged.
    public var privateKeyPEM: String
    /// The pinned host key (`ssh-ed25519 AAAA…`, a known_hosts line's key part);
    /// nil only while probing, when `EngineProbe` reads and pins the key itself.
    public var knownHostsLine: String?

    public init(user: String, host: String, port: Int = 22, remoteSocket: String = "/var/run/docker.sock",
                privateKeyPEM: String, knownHostsLine: String? = nil) {
        self.user = user
        self.host = host
        self.port = port
        self.remoteSocket = remoteSocket
        self.privateKeyPEM = privateKeyPEM
        self.knownHostsLine = knownHostsLine
    }

    /// Parses `ssh://user@host[:port]`; the key, socket and pin are added by the caller.
    public static func parse(_ text: String, privateKeyPEM: String, remoteSocket: String = "/var/run/docker.sock",
                             knownHostsLine: String? = nil) throws -> SSHEndpoint {
        let value = text.trimmingCharacters(in: .whitespaces)
        guard value.hasPrefix("ssh://") else { throw EngineError(.invalidHost, message: "expected ssh://user@host[:port], got \(text)") }
        let rest = value.dropFirst("ssh://".count)
        guard let at = rest.firstIndex(of: "@") else { throw EngineError(.invalidHost, message: "ssh endpoint needs a user: ssh://user@host[:port], got \(text)") }
        let user = String(rest[..<at])
        let (host, port) = try DockerHost.parseAuthority(rest[rest.index(after: at)...], text: text, scheme: "ssh://user@", defaultPort: 22)
        let endpoint = SSHEndpoint(user: user, host: host, port: port, remoteSocket: remoteSocket,
                                   privateKeyPEM: privateKeyPEM, knownHostsLine: knownHostsLine)
        try endpoint.validate()
        return endpoint
    }

    /// Refuses values that ssh would read as options or that cannot name a socket.
    func validate() throws {
        let userOK = !user.isEmpty && !user.hasPrefix("-") && user.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }
        guard userOK else { throw EngineError(.invalidHost, message: "invalid ssh user name \"\(user)\"") }
        guard !host.isEmpty, !host.hasPrefix("-"), !host.contains(where: { $0.isWhitespace || "@/".contains($0) }) else {
            throw EngineError(.invalidHost, message: "invalid ssh host \"\(host)\"")
        }
        guard (1...65535).contains(port) else { throw EngineError(.invalidHost, message: "invalid ssh port \(port)") }
        guard remoteSocket.hasPrefix("/"), !remoteSocket.contains(where: { $0.isWhitespace || $0 == ":" }) else {
            throw EngineError(.invalidHost, message: "the remote engine socket must be an absolute path without spaces or colons, got \"\(remoteSocket)\"")
        }
    }

    public var description: String { "ssh://\(user)@\(DockerHost.bracketed(host))\(port == 22 ? "" : ":\(port)")" }
}
