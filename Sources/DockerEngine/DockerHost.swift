import Foundation

/// Where an engine listens: a unix socket, plain TCP, TCP with TLS, or a socket behind SSH.
public struct DockerHost: Sendable, Equatable, CustomStringConvertible {
    public enum Transport: Sendable, Equatable {
        case unix(path: String)
        /// Plain HTTP over TCP (a docker-socket-proxy); no authentication at all.
        case tcp(host: String, port: Int)
        /// The engine's `--tlsverify` mode: HTTPS with our CA and a client certificate.
        case tls(host: String, port: Int, TLSMaterial)
        /// The engine's unix socket on another machine, through an OpenSSH tunnel.
        case ssh(SSHEndpoint)
    }

    public let transport: Transport

    public init(_ transport: Transport) { self.transport = transport }

    /// The engine a process talks to when `DOCKER_HOST` is unset.
    public static let systemDefault = DockerHost(.unix(path: "/var/run/docker.sock"))

    /// Parses `unix:///path`, a bare absolute path, or `tcp://host:port` (plain TCP: TLS and SSH
    /// hosts carry key material, so they are built with `DockerHost(.tls(…))` / `.ssh(…)`).
    public static func parse(_ text: String) throws -> DockerHost {
        let value = text.trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("/") { return DockerHost(.unix(path: value)) }
        if value.hasPrefix("unix://") {
            let path = String(value.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw EngineError(.invalidHost, message: "unix socket path must be absolute: \(text)") }
            return DockerHost(.unix(path: path))
        }
        if value.hasPrefix("tcp://") {
            let (host, port) = try parseAuthority(value.dropFirst("tcp://".count), text: text, scheme: "tcp", defaultPort: nil)
            return DockerHost(.tcp(host: host, port: port))
        }
        throw EngineError(.invalidHost, message: "unsupported DOCKER_HOST \(text): use unix:///path or tcp://host:port")
    }

    /// The host from the environment's `DOCKER_HOST`, else the system socket.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DockerHost {
        guard let value = environment["DOCKER_HOST"], !value.isEmpty else { return .systemDefault }
        return try parse(value)
    }

    /// Splits `host:port` (or `[v6]:port`) of an endpoint; `defaultPort` when the port is optional.
    static func parseAuthority(_ authority: Substring, text: String, scheme: String, defaultPort: Int?) throws -> (String, Int) {
        let rest = authority.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var host = rest
        var port = defaultPort
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw EngineError(.invalidHost, message: "unclosed [ in \(text)") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()) } else if !after.isEmpty { port = nil }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            port = Int(rest[rest.index(after: colon)...])
        }
        guard let port, (1...65535).contains(port), !host.isEmpty, !host.hasPrefix("-"),
              !host.contains(where: { $0.isWhitespace || $0 == "@" || $0 == "/" }) else {
            let portHint = defaultPort == nil ? ":port" : "[:port]"
            throw EngineError(.invalidHost, message: "expected \(scheme)://host\(portHint), got \(text)")
        }
        return (host, port)
    }

    /// The endpoint as an operator writes it; never includes key material.
    public var description: String {
        switch transport {
        case let .unix(path): return "unix://\(path)"
        case let .tcp(host, port), let .tls(host, port, _): return "tcp://\(Self.bracketed(host)):\(port)"
        case let .ssh(endpoint): return endpoint.description
        }
    }

    /// `host` ready for a URL or `host:port` (IPv6 in brackets).
    static func bracketed(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
}
