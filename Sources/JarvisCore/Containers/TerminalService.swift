import DockerEngine
import Foundation
import JarvisStore

/// What the browser gets back to open its terminal WebSocket.
public struct TerminalGrant: Encodable, Sendable {
    public let token: String
    public let execId: String
    public let container: String
    public let cmd: [String]
    public let websocketPath: String
    public let expiresIn: Int
}

/// Terminals: jarvis-fcgi checks permission, creates the exec and issues a
/// one-time ticket; jarvis-sse redeems it and pipes the WebSocket to the exec.
public final class TerminalService: Sendable {
    public static let ticketLifetime: TimeInterval = 60
    public static let shells: Set<String> = ["/bin/sh", "/bin/bash", "/bin/ash", "/bin/zsh", "sh", "bash"]
    let docker: DockerClient
    let database: AppDatabase
    let enabled: Bool
    let host: HostRecord

    public init(docker: DockerClient, database: AppDatabase, enabled: Bool, host: HostRecord) {
        self.docker = docker
        self.database = database
        self.enabled = enabled
        self.host = host
    }

    /// Refuses before anything else is looked at when the terminal is turned off (for the server or this host).
    public func requireEnabled() throws {
        guard enabled else { throw JarvisError(403, "terminal_disabled", "the web terminal is turned off on this server (terminal_enabled)") }
        guard host.terminalEnabled else {
            throw JarvisError(403, "terminal_disabled", "the web terminal is turned off for host \(host.name)")
        }
    }

    /// Creates the exec and a ticket only `principal`'s session can redeem, from a
    /// page whose `Origin` is `host` (the `Host` the request for the ticket used).
    public func open(for principal: Principal, container: ContainerDetails, cmd: [String], tty: Bool,
                     host: String? = nil) async throws -> TerminalGrant {
        try requireEnabled()
        guard container.state.running, !container.state.paused else {
            throw JarvisError(409, "container_not_running", "container \(container.displayName) is not running")
        }
        let execID: String
        do {
            execID = try await docker.createExec(container.id, ExecOptions(cmd: cmd, tty: tty, env: ["TERM=xterm-256color"]))
        } catch let error as EngineError {
            throw JarvisError.from(error)
        }
        let token = TokenService.randomToken()
        try database.insertTerminalToken(tokenHash: TokenService.digest(token),
                                         ticket: TerminalTicket(userID: principal.userID, sessionID: principal.sessionID,
                                                                host: host?.lowercased(), containerID: container.id,
                                                                containerName: container.displayName, execID: execID, tty: tty,
                                                                hostID: self.host.id),
                                         expiresAt: Timestamp.string(Date() + Self.ticketLifetime))
        return TerminalGrant(token: token, execId: execID, container: container.displayName, cmd: cmd,
                             websocketPath: "/api/v1/ws/terminal?token=\(token)", expiresIn: Int(Self.ticketLifetime))
    }

    /// The ticket of `token` when `principal`'s own session asked for it and the
    /// upgrade's `Origin` is acceptable (`TerminalOrigin`); used up only then.
    public func redeem(_ token: String, by principal: Principal, origin: String?, requestHosts: [String]) throws -> TerminalTicket? {
        try database.redeemTerminalToken(tokenHash: TokenService.digest(token), userID: principal.userID,
                                         sessionID: principal.sessionID) { ticket in
            TerminalOrigin.allows(origin: origin, hosts: [ticket.host].compactMap { $0 } + requestHosts)
        }
    }
}

/// The WebSocket upgrade's `Origin` check (cross-site WebSocket hijacking):
/// browsers always send `Origin` on a WebSocket handshake, so a present one
/// must name the host the page was served from; a missing one is a
/// non-browser client (no ambient cookies to abuse), which the ticket and the
/// session already identify. A host given with a port must match the
/// Origin's host and port; one without a port (Debian's `fastcgi_params`
/// passes nginx's `$host`, which drops it) matches the Origin's host name.
public enum TerminalOrigin {
    public static func allows(origin: String?, hosts: [String]) -> Bool {
        guard let origin else { return true }
        guard let parsed = URLComponents(string: origin), let host = parsed.host, !host.isEmpty else { return false }
        let name = (host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host).lowercased()  // IPv6, as `Host` writes it
        let port = parsed.port ?? (parsed.scheme?.lowercased() == "http" ? 80 : 443)
        return hosts.contains { expected in
            let (expectedName, expectedPort) = split(expected.lowercased())
            return expectedName == name && (expectedPort.map { $0 == port } ?? true)
        }
    }

    /// `name[:port]` of a `Host` value, brackets kept on IPv6 literals.
    static func split(_ host: String) -> (String, Int?) {
        guard let colon = host.lastIndex(of: ":"), !host[colon...].contains("]") else { return (host, nil) }
        return (String(host[..<colon]), Int(host[host.index(after: colon)...]))
    }
}
