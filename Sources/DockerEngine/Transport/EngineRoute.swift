import CCurl
import Foundation

/// How curl reaches one engine, resolved just before a request is made
/// (for SSH that starts the tunnel and names its local socket).
struct EngineRoute: Sendable {
    enum Kind: Sendable { case unix, tcp, tls, ssh }

    let kind: Kind
    /// Scheme and authority of request URLs; a unix socket still needs a syntactically valid host.
    let baseURL: String
    let unixSocket: String?
    let tls: TLSMaterial?
    /// `name:port:address:port`: the URL (and so SNI and the certificate check) names the
    /// server name while the connection goes to the address.
    let connectTo: String?
    /// The endpoint as error messages name it (never key material).
    let label: String

    /// The route of a host whose transport needs no set-up (everything but SSH).
    init(direct host: DockerHost) {
        label = host.description
        switch host.transport {
        case let .unix(path):
            kind = .unix; baseURL = "http://localhost"; unixSocket = path; tls = nil; connectTo = nil
        case let .tcp(address, port):
            kind = .tcp; baseURL = "http://\(DockerHost.bracketed(address)):\(port)"; unixSocket = nil; tls = nil; connectTo = nil
        case let .tls(address, port, material):
            kind = .tls
            let name = material.serverName.flatMap { $0.isEmpty ? nil : $0 } ?? address
            baseURL = "https://\(DockerHost.bracketed(name)):\(port)"
            unixSocket = nil
            tls = material
            connectTo = name == address ? nil : "\(DockerHost.bracketed(name)):\(port):\(DockerHost.bracketed(address)):\(port)"
        case .ssh:
            preconditionFailure("SSH hosts are routed through their tunnel")
        }
    }

    /// Through an SSH tunnel's local socket.
    init(tunnelSocket: String, endpoint: SSHEndpoint) {
        kind = .ssh; baseURL = "http://localhost"; unixSocket = tunnelSocket; tls = nil; connectTo = nil
        label = endpoint.description
    }

    /// Sets the connection options on `easy`; the returned list must outlive the handle.
    func apply(to easy: UnsafeMutableRawPointer) -> UnsafeMutablePointer<curl_slist>? {
        if let unixSocket { jarvis_curl_setopt_string(easy, CURLOPT_UNIX_SOCKET_PATH, unixSocket) }
        guard let tls else { return nil }
        // Only this host's CA: no system store next to it (the blob replaces CAINFO, CAPATH must go too).
        jarvis_curl_setopt_string(easy, CURLOPT_CAINFO, nil)
        jarvis_curl_setopt_string(easy, CURLOPT_CAPATH, nil)
        Self.setBlob(easy, CURLOPT_CAINFO_BLOB, tls.caPEM)
        Self.setBlob(easy, CURLOPT_SSLCERT_BLOB, tls.certPEM)
        Self.setBlob(easy, CURLOPT_SSLKEY_BLOB, tls.keyPEM)
        jarvis_curl_setopt_string(easy, CURLOPT_SSLCERTTYPE, "PEM")
        jarvis_curl_setopt_string(easy, CURLOPT_SSLKEYTYPE, "PEM")
        jarvis_curl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
        jarvis_curl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        guard let connectTo else { return nil }
        let list = curl_slist_append(nil, connectTo)
        jarvis_curl_setopt_slist(easy, CURLOPT_CONNECT_TO, list)
        return list
    }

    private static func setBlob(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ text: String) {
        var bytes = Array(text.utf8)
        if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        bytes.withUnsafeBytes { _ = jarvis_curl_setopt_blob(easy, option, $0.baseAddress!, $0.count) }
    }
}

extension DockerHost {
    /// The route for the next request; for SSH this starts (or restarts) the tunnel.
    func route() async throws -> EngineRoute {
        if case let .ssh(endpoint) = transport {
            return EngineRoute(tunnelSocket: try await SSHTunnels.shared.socket(for: endpoint), endpoint: endpoint)
        }
        return EngineRoute(direct: self)
    }
}
