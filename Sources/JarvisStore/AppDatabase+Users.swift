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

    /// Sets a new password hash and revokes the user's refresh tokens, except
    /// those of `keepingFamily` (the session that made the change).
    public func changePassword(userID: Int64, passwordHash: String, keepingFamily: String? = nil) throws {
        try pool.write { db in
            let now = Timestamp.string()
            try db.execute(sql: "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
                           arguments: [passwordHash, now, now, userID])
            guard db.changesCount == 1 else { throw StoreError.notFound("no user with id \(userID)") }
            try db.execute(sql: """
                UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND family_id IS NOT ?
                """, arguments: [now, userID, keepingFamily])
        }
    }

    /// Sets role and/or disabled. Disabling or a change of role revokes the
    /// user's sessions, except `keepingFamily` (an admin changing their own role
    /// keeps the session that did it), in the same transaction.
    public func updateUser(id: Int64, role: String?, disabled: Bool?, keepingFamily: String? = nil) throws -> UserRecord {
        try pool.write { db in
            guard var user = try UserRecord.fetchOne(db, key: id) else { throw StoreError.notFound("no user with id \(id)") }
            let roleChanged = role.map { $0 != user.role } ?? false
            if let role { user.role = role }
            if let disabled { user.disabled = disabled }
            user.updatedAt = Timestamp.string()
            try user.update(db)
            if disabled == true || roleChanged {
                try db.execute(sql: """
                    UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND family_id IS NOT ?
                    """, arguments: [user.updatedAt, id, keepingFamily])
            }
            return user
        }
    }

    /// The user an access token names, with whether its session family is
    /// still live for that user: one indexed read per authenticated request,
    /// of the three columns it needs (decoding the whole record costs more than the query).
    public func sessionUser(id: Int64, familyID: String) throws -> SessionUser? {
        try pool.read { db in
            // Cached: every request runs it, and preparing costs as much as running.
            let statement = try db.cachedStatement(sql: """
                SELECT username, role, disabled,
                       EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = ? AND user_id = users.id
                               AND revoked_at IS NULL AND expires_at > ?) AS session_active
                FROM users WHERE id = ?
                """)
            return try Row.fetchOne(statement, arguments: [familyID, Timestamp.string(), id])
                .map { SessionUser(username: $0["username"], role: $0["role"], disabled: $0["disabled"], sessionActive: $0["session_active"]) }
        }
    }

    public func deleteUser(id: Int64) throws {
        try pool.write { db in
            guard try UserRecord.deleteOne(db, key: id) else { throw StoreError.notFound("no user with id \(id)") }
        }
    }

    /// Enabled admins other than the given user: the last one may not be demoted, disabled or deleted.
    public func otherActiveAdmins(than id: Int64) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id != ?", arguments: [id]) ?? 0
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

/// What authenticating a request needs to know of its user, read fresh each time.
public struct SessionUser: Sendable, Equatable {
    public let username: String
    public let role: String
    public let disabled: Bool
    /// The token's refresh-token family belongs to this user and is neither revoked nor expired.
    public let sessionActive: Bool
}
