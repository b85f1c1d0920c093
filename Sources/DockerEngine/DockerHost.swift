import Foundation

/// Where an engine listens: a unix socket or a TCP address (TLS arrives with remote hosts).
public struct DockerHost: Sendable, Equatable, CustomStringConvertible {
    public enum Transport: Sendable, Equatable {
        case unix(path: String)
        case tcp(host: String, port: Int)
    }

    public let transport: Transport

    public init(_ transport: Transport) { self.transport = transport }

    /// The engine a process talks to when `DOCKER_HOST` is unset.
    public static let systemDefault = DockerHost(.unix(path: "/var/run/docker.sock"))

    /// Parses `unix:///path`, a bare absolute path, or `tcp://host:port`.
    public static func parse(_ text: String) throws -> DockerHost {
        let value = text.trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("/") { return DockerHost(.unix(path: value)) }
        if value.hasPrefix("unix://") {
            let path = String(value.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw EngineError(.invalidHost, message: "unix socket path must be absolute: \(text)") }
            return DockerHost(.unix(path: path))
        }
        if value.hasPrefix("tcp://") {
            let rest = value.dropFirst("tcp://".count).split(separator: "/").first.map(String.init) ?? ""
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
                  (1...65535).contains(port), colon != rest.startIndex else {
                throw EngineError(.invalidHost, message: "expected tcp://host:port, got \(text)")
            }
            return DockerHost(.tcp(host: String(rest[..<colon]), port: port))
        }
        throw EngineError(.invalidHost, message: "unsupported DOCKER_HOST \(text): use unix:///path or tcp://host:port")
    }

    /// The host from the environment's `DOCKER_HOST`, else the system socket.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DockerHost {
        guard let value = environment["DOCKER_HOST"], !value.isEmpty else { return .systemDefault }
        return try parse(value)
    }

    /// Scheme and authority of request URLs; a unix socket still needs a syntactically valid host.
    var baseURL: String {
        switch transport {
        case .unix: return "http://localhost"
        case let .tcp(host, port): return "http://\(host):\(port)"
        }
    }

    public var description: String {
        switch transport {
        case let .unix(path): return "unix://\(path)"
        case let .tcp(host, port): return "tcp://\(host):\(port)"
        }
    }
}
