import Foundation
import JarvisStore
import Logging

/// The identity a request acts as.
public struct Principal: Sendable, Equatable {
    public let userID: Int64
    public let username: String
    public let role: Role
    public let sessionID: String
    public let csrf: String?
    /// How the request proved it: browsers' cookies need CSRF checks, bearer tokens do not.
    public let viaCookie: Bool

    public init(userID: Int64, username: String, role: Role, sessionID: String, csrf: String?, viaCookie: Bool) {
        self.userID = userID
        self.username = username
        self.role = role
        self.sessionID = sessionID
        self.csrf = csrf
        self.viaCookie = viaCookie
    }
}

/// Tokens handed to a client after login or refresh.
public struct SessionTokens: Sendable, Encodable {
    public let accessToken: String
    public let refreshToken: String
    public let csrfToken: String
    public let expiresIn: Int
    public let refreshExpiresIn: Int
    public let user: UserView
}

/// A user as the API shows it: never the hash.
public struct UserView: Sendable, Encodable, Equatable {
    public let id: Int64
    public let username: String
    public let role: String
    public let disabled: Bool
    public let createdAt: String

    public init(_ record: UserRecord) {
        id = record.id ?? 0
        username = record.username
        role = record.role
        disabled = record.disabled
        createdAt = record.createdAt
    }
}

/// Logins, refresh rotation, logout and token checks.
public final class AuthService: Sendable {
    private let database: AppDatabase
    private let tokens: TokenService
    private let hasher: PasswordHasher
    private let refreshLifetime: TimeInterval
    private let throttle: LoginThrottle
    private let logger: Logger
    private let notifier: Notifier

    public init(database: AppDatabase, tokens: TokenService, hasher: PasswordHasher = PasswordHasher(),
                refreshLifetime: TimeInterval, throttle: LoginThrottle = LoginThrottle(),
                logger: Logger = Logger(label: "jarvis.auth"), notifier: Notifier? = nil) {
        self.notifier = notifier ?? Notifier(database: database)
        self.database = database
        self.tokens = tokens
        self.hasher = hasher
        self.refreshLifetime = refreshLifetime
        self.throttle = throttle
        self.logger = logger
    }

    /// On an empty store, creates `admin` with the given password or a generated
    /// one, which is returned so the caller can show it once.
    public func bootstrapAdmin(password: String?) throws -> String? {
        guard try database.userCount() == 0 else { return nil }
        let chosen = password.flatMap { $0.isEmpty ? nil : $0 } ?? TokenService.randomToken().prefix(20).description
        let created = try database.createFirstAdminIfEmpty(username: "admin", passwordHash: try hasher.hash(chosen))
        return created && (password ?? "").isEmpty ? chosen : nil
    }

    /// Checks credentials; the same error for an unknown user and a wrong password.
    /// Repeated failures make the (username, IP) pair and the IP wait (`LoginThrottle`);
    /// `onLock` hears of each key that starts waiting so it can be audited.
    public func login(username: String, password: String, ip: String?, userAgent: String?,
                      onLock: (String) -> Void = { _ in }) async throws -> SessionTokens {
        let keys = throttle.keys(username: username, ip: ip)
        // Checked before the password, whatever it is: a waiting key is no oracle.
        let waits = try keys.compactMap { try database.loginLockedUntil($0.key) }
        if let until = waits.max() { throw throttle.lockedError(until: until) }
        let user = try database.user(named: username)
        let valid = user.map { hasher.verify(password, against: $0.passwordHash) && !$0.disabled } ?? {
            hasher.burn(password)
            return false
        }()
        guard let user, valid else {
            for key in keys {
                let outcome = try database.recordLoginFailure(key.key, window: throttle.window, allowed: key.allowed,
                                                              baseDelay: throttle.baseDelay, maxDelay: throttle.maxDelay)
                if outcome.failures == key.allowed {
                    logger.warning("login throttled", metadata: ["key": "\(key.key)"])
                    onLock(key.key)
                    notifier.emit(.loginLockout, target: username,
                                  summary: "\(username.prefix(64)): \(key.allowed) failed logins from \(ip ?? "an unknown address"); further attempts wait",
                                  fields: ["username": String(username.prefix(64)), "ip": ip ?? "", "failures": String(key.allowed),
                                           "scope": key.key.hasPrefix("ip:") ? "ip" : "user_and_ip"])
                }
            }
            throw JarvisError.unauthorized("invalid username or password", code: "invalid_credentials")
        }
        // Only this pair's count ends: a success must not reset the IP's count of other names.
        try database.clearLoginFailures([keys[0].key])
        return try await startSession(for: user, familyID: UUID().uuidString, ip: ip, userAgent: userAgent)
    }

    /// Rotates a refresh token; a replayed one revokes its whole family, and
    /// `onReuse` hears of it (user id, name, session) so it can be audited.
    public func refresh(token: String, ip: String?, userAgent: String?,
                        onReuse: (_ userID: Int64, _ username: String?, _ sessionID: String) -> Void = { _, _, _ in }) async throws -> SessionTokens {
        let next = TokenService.randomToken()
        let outcome = try database.rotateRefreshToken(presentedHash: TokenService.digest(token)) { user, family in
            self.refreshRecord(userID: user.id!, familyID: family, token: next, ip: ip, userAgent: userAgent)
        }
        switch outcome {
        case let .rotated(user, familyID):
            return try await sessionTokens(for: user, familyID: familyID, refreshToken: next)
        case let .reuseDetected(userID, familyID):
            logger.warning("refresh token reused: session family revoked", metadata: ["user_id": "\(userID)"])
            onReuse(userID, try? database.user(id: userID)?.username, familyID)
            throw JarvisError.unauthorized("refresh token was already used; the session has been revoked", code: "token_reused")
        case .expired:
            throw JarvisError.unauthorized("refresh token expired", code: "token_expired")
        case .unknown:
            throw JarvisError.unauthorized("invalid refresh token", code: "invalid_token")
        }
    }

    /// Ends the session of an access token's family and/or a refresh token.
    public func logout(sessionID: String?, refreshToken: String?) throws {
        if let sessionID { try database.revokeFamily(sessionID) }
        if let refreshToken, let family = try database.familyOfRefreshToken(hash: TokenService.digest(refreshToken)) {
            try database.revokeFamily(family)
        }
    }

    /// The principal of a valid access token whose session is still active.
    /// Signature, expiry and session come from the token; the role, the name
    /// and whether the account may act at all come from the store on every
    /// request, so a demotion or a disabling takes effect at once.
    public func authenticate(accessToken: String, viaCookie: Bool) async throws -> Principal {
        let claims = try await tokens.verify(accessToken)
        guard let userID = Int64(claims.sub.value) else {
            throw JarvisError.unauthorized("invalid access token", code: "invalid_token")
        }
        guard let user = try database.sessionUser(id: userID, familyID: claims.sid) else {
            throw JarvisError.unauthorized("this account no longer exists", code: "account_deleted")
        }
        guard !user.disabled else {
            throw JarvisError.unauthorized("this account is disabled", code: "account_disabled")
        }
        guard user.sessionActive else {
            throw JarvisError.unauthorized("session ended", code: "session_revoked")
        }
        guard let role = Role(rawValue: user.role) else {
            throw JarvisError.unauthorized("invalid access token", code: "invalid_token")
        }
        return Principal(userID: userID, username: user.username, role: role, sessionID: claims.sid,
                         csrf: claims.csrf, viaCookie: viaCookie)
    }

    public func user(id: Int64) throws -> UserView? { try database.user(id: id).map(UserView.init) }

    public var accessLifetime: Int { Int(tokens.accessLifetime) }
    public var refreshLifetimeSeconds: Int { Int(refreshLifetime) }

    private func startSession(for user: UserRecord, familyID: String, ip: String?, userAgent: String?) async throws -> SessionTokens {
        let refresh = TokenService.randomToken()
        try database.insertRefreshToken(refreshRecord(userID: user.id!, familyID: familyID, token: refresh, ip: ip, userAgent: userAgent))
        return try await sessionTokens(for: user, familyID: familyID, refreshToken: refresh)
    }

    private func sessionTokens(for user: UserRecord, familyID: String, refreshToken: String) async throws -> SessionTokens {
        let csrf = TokenService.randomToken()
        let access = try await tokens.issue(userID: user.id!, username: user.username, role: user.role,
                                            sessionID: familyID, csrf: csrf)
        return SessionTokens(accessToken: access, refreshToken: refreshToken, csrfToken: csrf,
                             expiresIn: accessLifetime, refreshExpiresIn: refreshLifetimeSeconds, user: UserView(user))
    }

    private func refreshRecord(userID: Int64, familyID: String, token: String, ip: String?, userAgent: String?) -> RefreshTokenRecord {
        let now = Date()
        return RefreshTokenRecord(id: UUID().uuidString, userID: userID, familyID: familyID,
                                  tokenHash: TokenService.digest(token), createdAt: Timestamp.string(now),
                                  expiresAt: Timestamp.string(now + refreshLifetime), ip: ip, userAgent: userAgent)
    }
}
