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

    public init(docker: DockerClient, database: AppDatabase, enabled: Bool) {
        self.docker = docker
        self.database = database
        self.enabled = enabled
    }

    /// Refuses before anything else is looked at when the terminal is turned off.
    public func requireEnabled() throws {
        guard enabled else { throw JarvisError(403, "terminal_disabled", "the web terminal is turned off on this server (terminal_enabled)") }
    }

    public func open(for principal: Principal, container: ContainerDetails, cmd: [String], tty: Bool) async throws -> TerminalGrant {
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
                                         ticket: TerminalTicket(userID: principal.userID, containerID: container.id,
                                                                containerName: container.displayName, execID: execID, tty: tty),
                                         expiresAt: Timestamp.string(Date() + Self.ticketLifetime))
        return TerminalGrant(token: token, execId: execID, container: container.displayName, cmd: cmd,
                             websocketPath: "/api/v1/ws/terminal?token=\(token)", expiresIn: Int(Self.ticketLifetime))
    }

    public func redeem(_ token: String) throws -> TerminalTicket? {
        try database.redeemTerminalToken(tokenHash: TokenService.digest(token))
    }
}
