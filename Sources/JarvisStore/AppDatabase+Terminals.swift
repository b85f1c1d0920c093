import GRDB

/// A one-time ticket for opening a terminal WebSocket: issued by jarvis-fcgi
/// after the permission check, redeemed once by jarvis-sse, by the same session.
public struct TerminalTicket: Sendable {
    public let userID: Int64
    /// The session (refresh-token family) that asked for it: only that session may redeem it.
    public let sessionID: String?
    /// The `Host` the browser used to ask for it; the WebSocket's `Origin` must name it.
    public let host: String?
    public let containerID: String
    public let containerName: String
    public let execID: String
    public let tty: Bool
    /// The engine the exec lives on.
    public let hostID: Int64

    public init(userID: Int64, sessionID: String?, host: String?, containerID: String, containerName: String, execID: String, tty: Bool,
                hostID: Int64 = HostRecord.localID) {
        self.hostID = hostID
        self.userID = userID
        self.sessionID = sessionID
        self.host = host
        self.containerID = containerID
        self.containerName = containerName
        self.execID = execID
        self.tty = tty
    }
}

extension AppDatabase {
    public func insertTerminalToken(tokenHash: String, ticket: TerminalTicket, expiresAt: String) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM terminal_tokens WHERE expires_at < ?", arguments: [Timestamp.string()])
            try db.execute(sql: """
                INSERT INTO terminal_tokens (token_hash, user_id, session_id, host, container_id, container_name, exec_id, tty, expires_at, host_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [tokenHash, ticket.userID, ticket.sessionID, ticket.host, ticket.containerID, ticket.containerName,
                                 ticket.execID, ticket.tty, expiresAt, ticket.hostID])
        }
    }

    /// The ticket, if the token is known, unexpired, unused, issued to this
    /// user's session, and `accept` agrees; marks it used in the same
    /// transaction. A ticket presented by another session stays unused.
    public func redeemTerminalToken(tokenHash: String, userID: Int64, sessionID: String,
                                    accept: (TerminalTicket) -> Bool = { _ in true }) throws -> TerminalTicket? {
        try pool.write { db in
            let now = Timestamp.string()
            guard let row = try Row.fetchOne(db, sql: """
                SELECT * FROM terminal_tokens
                WHERE token_hash = ? AND used_at IS NULL AND expires_at >= ? AND user_id = ? AND session_id = ?
                """, arguments: [tokenHash, now, userID, sessionID]) else { return nil }
            let ticket = TerminalTicket(userID: row["user_id"], sessionID: row["session_id"], host: row["host"],
                                        containerID: row["container_id"], containerName: row["container_name"],
                                        execID: row["exec_id"], tty: row["tty"], hostID: row["host_id"])
            guard accept(ticket) else { return nil }
            try db.execute(sql: "UPDATE terminal_tokens SET used_at = ? WHERE token_hash = ?", arguments: [now, tokenHash])
            return ticket
        }
    }
}
