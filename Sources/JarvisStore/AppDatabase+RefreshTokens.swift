import GRDB

/// What presenting a refresh token led to.
public enum RefreshOutcome: Sendable {
    /// The token was current; it is now used and `next` replaces it.
    case rotated(user: UserRecord, familyID: String)
    /// The token had been used or revoked before: its whole family is now revoked.
    case reuseDetected(userID: Int64)
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
                return .reuseDetected(userID: token.userID)
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
