import GRDB

/// A local account (`users`).
public struct UserRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "users"
    public var id: Int64?
    public var username: String
    public var passwordHash: String
    public var role: String
    public var disabled: Bool
    public var createdAt: String
    public var updatedAt: String
    public var passwordChangedAt: String

    enum CodingKeys: String, CodingKey {
        case id, username, role, disabled
        case passwordHash = "password_hash", createdAt = "created_at", updatedAt = "updated_at"
        case passwordChangedAt = "password_changed_at"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A refresh token, stored as its SHA-256 only (`refresh_tokens`).
public struct RefreshTokenRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "refresh_tokens"
    public var id: String
    public var userID: Int64
    public var familyID: String
    public var tokenHash: String
    public var createdAt: String
    public var expiresAt: String
    public var usedAt: String?
    public var revokedAt: String?
    public var ip: String?
    public var userAgent: String?

    enum CodingKeys: String, CodingKey {
        case id, ip
        case userID = "user_id", familyID = "family_id", tokenHash = "token_hash", createdAt = "created_at"
        case expiresAt = "expires_at", usedAt = "used_at", revokedAt = "revoked_at", userAgent = "user_agent"
    }

    public init(id: String, userID: Int64, familyID: String, tokenHash: String, createdAt: String, expiresAt: String,
                ip: String?, userAgent: String?) {
        self.id = id
        self.userID = userID
        self.familyID = familyID
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.ip = ip
        self.userAgent = userAgent
    }
}

/// One audit row (`audit_log`).
public struct AuditRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "audit_log"
    public var id: Int64?
    public var at: String
    public var userID: Int64?
    public var username: String?
    public var role: String?
    public var action: String
    public var resourceType: String?
    public var resourceID: String?
    public var resourceName: String?
    public var params: String?
    public var result: String
    public var error: String?
    public var ip: String?
    public var userAgent: String?
    public var requestID: String?
    /// Hash of the previous row ('' for the first row after genesis or a checkpoint's).
    public var prevHash = ""
    /// SHA-256 over this row's content and `prevHash`.
    public var hash = ""

    enum CodingKeys: String, CodingKey {
        case id, at, username, role, action, params, result, error, ip, hash
        case prevHash = "prev_hash"
        case userID = "user_id", resourceType = "resource_type", resourceID = "resource_id"
        case resourceName = "resource_name", userAgent = "user_agent", requestID = "request_id"
    }

    public init(at: String, userID: Int64?, username: String?, role: String?, action: String, resourceType: String?,
                resourceID: String?, resourceName: String?, params: String?, result: String, error: String?,
                ip: String?, userAgent: String?, requestID: String?) {
        self.at = at
        self.userID = userID
        self.username = username
        self.role = role
        self.action = action
        self.resourceType = resourceType
        self.resourceID = resourceID
        self.resourceName = resourceName
        self.params = params
        self.result = result
        self.error = error
        self.ip = ip
        self.userAgent = userAgent
        self.requestID = requestID
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
