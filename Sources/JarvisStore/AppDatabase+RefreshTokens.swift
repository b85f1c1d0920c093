import GRDB

/// What presenting a refresh token led to.
public enum RefreshOutcome: Sendable {
    /// The token was current; it is now used and `next` replaces it.
    case rotated(user: UserRecord, familyID: String)
    /// The token had been used or revoked before: its whole family is now revoked.
    case reuseDetected(userID: Int64, familyID: String)
    case expired
    case unknown
}

extension AppDatabase {
    public func insertRefreshToken(_ token: RefreshTokenRecord) throws {
        try pool.write { try token.insert($0) }
    }

    /// Marks the presented token used and stores its successor in the same family,
    /// in one transaction; a second use of the same token revokes the family.
    public func rotateRefreshToken(presentedHash: String, successor: (UserRecord, String) -> RefreshTokenRecord) throws -> RefreshOutcome {
        try pool.write { db in
            guard let token = try RefreshTokenRecord.filter(sql: "token_hash = ?", arguments: [presentedHash]).fetchOne(db) else {
                return .unknown
            }
            let now = Timestamp.string()
            if token.usedAt != nil || token.revokedAt != nil {
                try db.execute(sql: "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
                               arguments: [now, token.familyID])
                return .reuseDetected(userID: token.userID, familyID: token.familyID)
            }
            guard token.expiresAt > now else { return .expired }
            guard let user = try UserRecord.fetchOne(db, key: token.userID), !user.disabled else { return .unknown }
            try db.execute(sql: "UPDATE refresh_tokens SET used_at = ? WHERE id = ?", arguments: [now, token.id])
            try successor(user, token.familyID).insert(db)
            return .rotated(user: user, familyID: token.familyID)
        }
    }

    /// Revokes every token of a session family (logout).
    public func revokeFamily(_ familyID: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
                           arguments: [Timestamp.string(), familyID])
        }
    }

    /// True while the family has a token neither revoked nor expired: access
    /// tokens of a logged-out session stop working at once.
    public func isFamilyActive(_ familyID: String) throws -> Bool {
        try pool.read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NULL AND expires_at > ?)
                """, arguments: [familyID, Timestamp.string()]) ?? false
        }
    }

    /// The family a token belongs to, whatever its state.
    public func familyOfRefreshToken(hash: String) throws -> String? {
        try pool.read { try String.fetchOne($0, sql: "SELECT family_id FROM refresh_tokens WHERE token_hash = ?", arguments: [hash]) }
    }
}

/// One signed-in session (a refresh-token family) as its owner sees it.
public struct SessionRecord: Sendable, FetchableRecord, Decodable {
    public let familyID: String
    public let startedAt: String
    public let lastUsedAt: String
    public let ip: String?
    public let userAgent: String?

    enum CodingKeys: String, CodingKey {
        case ip
        case familyID = "family_id", startedAt = "started_at", lastUsedAt = "last_used_at", userAgent = "user_agent"
    }
}

extension AppDatabase {
    /// The user's live sessions, most recently used first. Each refresh adds a
    /// token to the family, so the newest token tells when and from where it was last used.
    public func activeSessions(userID: Int64) throws -> [SessionRecord] {
        try pool.read { db in
            try SessionRecord.fetchAll(db, sql: """
                SELECT t.family_id, MIN(t.created_at) AS started_at, MAX(t.created_at) AS last_used_at,
                       (SELECT ip FROM refresh_tokens n WHERE n.family_id = t.family_id ORDER BY created_at DESC LIMIT 1) AS ip,
                       (SELECT user_agent FROM refresh_tokens n WHERE n.family_id = t.family_id ORDER BY created_at DESC LIMIT 1) AS user_agent
                FROM refresh_tokens t
                WHERE t.user_id = ?
                GROUP BY t.family_id
                HAVING SUM(CASE WHEN t.revoked_at IS NULL AND t.expires_at > ? THEN 1 ELSE 0 END) > 0
                ORDER BY last_used_at DESC
                """, arguments: [userID, Timestamp.string()])
        }
    }

    /// Revokes one session of a user; false when the user has no such live session.
    public func revokeSession(userID: Int64, familyID: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND family_id = ? AND revoked_at IS NULL",
                           arguments: [Timestamp.string(), userID, familyID])
            return db.changesCount > 0
        }
    }

    /// Revokes every session of a user except `keeping`; returns how many ended.
    public func revokeSessions(userID: Int64, keeping: String? = nil) throws -> Int {
        try pool.write { db in
            let families = try String.fetchAll(db, sql: """
                SELECT DISTINCT family_id FROM refresh_tokens WHERE user_id = ? AND revoked_at IS NULL AND family_id IS NOT ?
                """, arguments: [userID, keeping])
            try db.execute(sql: "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND family_id IS NOT ?",
                           arguments: [Timestamp.string(), userID, keeping])
            return families.count
        }
    }
}
