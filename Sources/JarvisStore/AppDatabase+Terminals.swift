import GRDB

/// A one-time ticket for opening a terminal WebSocket: issued by jarvis-fcgi
/// after the permission check, redeemed once by jarvis-sse.
public struct TerminalTicket: Sendable {
    public let userID: Int64
    public let containerID: String
    public let containerName: String
    public let execID: String
    public let tty: Bool

    public init(userID: Int64, containerID: String, containerName: String, execID: String, tty: Bool) {
        self.userID = userID
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
                INSERT INTO terminal_tokens (token_hash, user_id, container_id, container_name, exec_id, tty, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [tokenHash, ticket.userID, ticket.containerID, ticket.containerName, ticket.execID, ticket.tty, expiresAt])
        }
    }

    /// The ticket, if the token is known, unexpired and unused; marks it used in the same transaction.
    public func redeemTerminalToken(tokenHash: String) throws -> TerminalTicket? {
        try pool.write { db in
            let now = Timestamp.string()
            guard let row = try Row.fetchOne(db, sql: """
                SELECT * FROM terminal_tokens WHERE token_hash = ? AND used_at IS NULL AND expires_at >= ?
                """, arguments: [tokenHash, now]) else { return nil }
            try db.execute(sql: "UPDATE terminal_tokens SET used_at = ? WHERE token_hash = ?", arguments: [now, tokenHash])
            return TerminalTicket(userID: row["user_id"], containerID: row["container_id"], containerName: row["container_name"],
                                  execID: row["exec_id"], tty: row["tty"])
        }
    }
}
