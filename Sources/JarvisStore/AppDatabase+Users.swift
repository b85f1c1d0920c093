import GRDB

extension AppDatabase {
    public func userCount() throws -> Int {
        try pool.read { try UserRecord.fetchCount($0) }
    }

    public func user(named username: String) throws -> UserRecord? {
        try pool.read { try UserRecord.filter(sql: "username = ? COLLATE NOCASE", arguments: [username]).fetchOne($0) }
    }

    public func user(id: Int64) throws -> UserRecord? {
        try pool.read { try UserRecord.fetchOne($0, key: id) }
    }

    public func users() throws -> [UserRecord] {
        try pool.read { try UserRecord.order(sql: "username").fetchAll($0) }
    }

    /// Creates the first admin unless any user exists; false when users already existed.
    /// One transaction, so two processes starting together create one admin.
    public func createFirstAdminIfEmpty(username: String, passwordHash: String) throws -> Bool {
        try pool.write { db in
            guard try UserRecord.fetchCount(db) == 0 else { return false }
            try Self.insertUser(db, username: username, passwordHash: passwordHash, role: "admin")
            return true
        }
    }

    @discardableResult
    public func createUser(username: String, passwordHash: String, role: String) throws -> UserRecord {
        try pool.write { try Self.insertUser($0, username: username, passwordHash: passwordHash, role: role) }
    }

    /// Sets a new password hash and revokes every refresh token of the user.
    public func changePassword(userID: Int64, passwordHash: String) throws {
        try pool.write { db in
            let now = Timestamp.string()
            try db.execute(sql: "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
                           arguments: [passwordHash, now, now, userID])
            guard db.changesCount == 1 else { throw StoreError.notFound("no user with id \(userID)") }
            try db.execute(sql: "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                           arguments: [now, userID])
        }
    }

    @discardableResult
    private static func insertUser(_ db: Database, username: String, passwordHash: String, role: String) throws -> UserRecord {
        let now = Timestamp.string()
        var user = UserRecord(id: nil, username: username, passwordHash: passwordHash, role: role, disabled: false,
                              createdAt: now, updatedAt: now, passwordChangedAt: now)
        try user.insert(db)
        return user
    }
}
