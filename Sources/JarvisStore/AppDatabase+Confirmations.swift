import GRDB

extension AppDatabase {
    public func insertConfirmation(tokenHash: String, userID: Int64, action: String, targets: String, expiresAt: String) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM confirmations WHERE expires_at < ?", arguments: [Timestamp.string()])
            try db.execute(sql: "INSERT INTO confirmations (token_hash, user_id, action, targets, expires_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [tokenHash, userID, action, targets, expiresAt])
        }
    }

    /// Marks a confirmation used if it matches user, action and targets exactly,
    /// is unexpired and unused; true when it did. One transaction, so a token works once.
    public func consumeConfirmation(tokenHash: String, userID: Int64, action: String, targets: String) throws -> Bool {
        try pool.write { db in
            let now = Timestamp.string()
            try db.execute(sql: """
                UPDATE confirmations SET used_at = ?
                WHERE token_hash = ? AND user_id = ? AND action = ? AND targets = ? AND used_at IS NULL AND expires_at >= ?
                """, arguments: [now, tokenHash, userID, action, targets, now])
            return db.changesCount == 1
        }
    }
}
