import Foundation

/// What an engine says about itself, the parts a host list shows.
public struct EngineFacts: Sendable, Equatable, Codable {
    public var version: String
    public var apiVersion: String
    public var os: String
    public var kernel: String
    public var cpus: Int
    public var memoryBytes: Int64
    public var storageDriver: String
    /// `inactive`, `active`, … (the engine's `Swarm.LocalNodeState`).
    public var swarm: String
    /// The engine's host name.
    public var name: String
}

/// The answer of one probe: the engine's facts and what identifies the connection.
public struct ProbeResult: Sendable {
    public var engine: EngineFacts
    /// One `/_ping` round trip on an established connection, in milliseconds.
    public var latencyMs: Double
    /// The engine's TLS certificate (TLS hosts).
    public var serverCertificate: CertificateFacts?
    /// The SSH server's host key, as pinned for the connection (SSH hosts).
    public var hostKey: SSHHostKey?
    /// The host as probed; for SSH with `knownHostsLine` set to `hostKey`.
    public var host: DockerHost

    /// What an operator confirms before a host is saved: the certificate's sha256 or the host key's fingerprint.
    public var fingerprint: String? { serverCertificate?.sha256 ?? hostKey?.fingerprint }
}

/// Connects to a host with the given settings and reports what it finds, or the one
/// distinct error that says why not. Nothing is trusted on first use silently: the
/// caller shows `fingerprint` and saves the host only once the operator confirmed it.
public enum EngineProbe {
    /// Connect timeout 5 s (curl's), 30 s for each request.
    public static let requestTimeout = 30

    /// Probes `host`. SSH: reads the host key with ssh-keyscan unless `knownHostsLine` is
    /// already set, then connects pinned to exactly that key. TLS: checks the PEMs first, and after
    /// a failed first request the handshake alone, for the server's own reason.
    public static func probe(_ host: DockerHost) async throws -> ProbeResult {
        var host = host
        var hostKey: SSHHostKey?
        var tunnelExisted = false
        switch host.transport {
        case let .tls(_, _, material):
            _ = try material.credentialFacts()
        case var .ssh(endpoint):
            try endpoint.validate()
            if let line = endpoint.knownHostsLine, !line.isEmpty {
                hostKey = try SSHHostKey(line: line)
            } else {
                guard let scanned = try await SSHHostKey.scan(host: endpoint.host, port: endpoint.port).first else {
                    throw EngineError(.engineUnreachable, message: "\(endpoint) presented no host key")
                }
                hostKey = scanned
                endpoint.knownHostsLine = scanned.knownHostsLine
            }
            host = DockerHost(.ssh(endpoint))
            tunnelExisted = SSHTunnels.shared.isRunning(endpoint)
        case .unix, .tcp:
            break
        }
        defer {
            // A probe's tunnel ends with the probe, unless a client was already using it.
            if case let .ssh(endpoint) = host.transport, !tunnelExisted { SSHTunnels.shared.stop(endpoint) }
        }
        let client = DockerClient(host: host)
        var ping = EngineRequest("GET", "/_ping", timeout: requestTimeout, versioned: false)
        ping.freshConnection = true
        ping.collectCertificates = true
        let first: EngineResponse
        do { first = try await client.performRaw(ping) } catch let error as EngineError {
            // TLS 1.3 tells a refused client certificate after the handshake, and the server's close
            // can overtake that alert when a request is on its way: ask again without sending
            // anything. Only on failure, since a server that sends nothing after the handshake
            // (no session tickets) makes that check wait its full time.
            if case .tls = host.transport { try await TLSHandshakeCheck.run(EngineRoute(direct: host)) }
            throw error
        }
        guard (200..<300).contains(first.status) else { throw EngineError.fromResponse(status: first.status, body: first.body) }
        guard let header = first.header("Api-Version"), let api = APIVersion(header) else {
            throw EngineError(.decoding, status: first.status, message: "\(host) answered /_ping without an Api-Version header: is it a Docker engine?")
        }
        guard api >= .oldestSupported else {
            throw EngineError(.engineTooOld, message: "the engine at \(host) speaks API \(api); Jarvis needs at least \(APIVersion.oldestSupported) (Docker 20.10)")
        }
        var certificate: CertificateFacts?
        if case .tls = host.transport, let leaf = first.peerCertificates.first {
            certificate = try? CertificateFacts.parse(pem: leaf)
        }
        let started = DispatchTime.now().uptimeNanoseconds
        _ = try await client.performRaw(EngineRequest("GET", "/_ping", timeout: requestTimeout, versioned: false))
        let latency = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
        let version = try await client.decode(SystemVersion.self, EngineRequest("GET", "/version", timeout: requestTimeout))
        let info = try await client.decode(SystemInfo.self, EngineRequest("GET", "/info", timeout: requestTimeout))
        let facts = EngineFacts(
            version: version.version, apiVersion: version.apiVersion,
            os: info.operatingSystem ?? version.os ?? "", kernel: info.kernelVersion ?? version.kernelVersion ?? "",
            cpus: info.cpus ?? 0, memoryBytes: info.memTotal ?? 0, storageDriver: info.driver ?? "",
            swarm: info.swarm?.localNodeState ?? "inactive", name: info.name ?? "")
        return ProbeResult(engine: facts, latencyMs: (latency * 10).rounded() / 10, serverCertificate: certificate, hostKey: hostKey, host: host)
    }
}
