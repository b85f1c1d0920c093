import Crypto
import Foundation
import JWTKit

/// Roles, ordered by what they may do.
public enum Role: String, Codable, Sendable, Comparable, CaseIterable {
    case viewer, operator_ = "operator", admin

    private var rank: Int { switch self { case .viewer: 0; case .operator_: 1; case .admin: 2 } }
    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }
}

/// Claims of the short-lived access token.
public struct AccessClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    /// Name and role at issue time, for clients to show; authorization never
    /// trusts them (`AuthService.authenticate` reads the store per request).
    public var name: String
    public var role: String
    /// The refresh-token family this session belongs to; logout revokes it.
    public var sid: String
    /// The CSRF token that cookie-authenticated writes must echo in `X-CSRF-Token`.
    public var csrf: String

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Signs and checks access tokens (HS256 with a key from a 0600 file).
public final class TokenService: Sendable {
    private let keys: JWTKeyCollection
    public let accessLifetime: TimeInterval

    public init(signingKey: [UInt8], accessLifetime: TimeInterval) async {
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(key: SymmetricKey(data: signingKey)), digestAlgorithm: .sha256)
        self.accessLifetime = accessLifetime
    }

    public func issue(userID: Int64, username: String, role: String, sessionID: String, csrf: String) async throws -> String {
        let now = Date()
        let claims = AccessClaims(sub: SubjectClaim(value: String(userID)), exp: ExpirationClaim(value: now + accessLifetime),
                                  iat: IssuedAtClaim(value: now), name: username, role: role, sid: sessionID, csrf: csrf)
        return try await keys.sign(claims)
    }

    /// The claims of a valid token; expired and forged tokens are told apart for the client.
    public func verify(_ token: String) async throws -> AccessClaims {
        do {
            return try await keys.verify(token, as: AccessClaims.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw JarvisError.unauthorized("access token expired", code: "token_expired")
        } catch {
            throw JarvisError.unauthorized("invalid access token", code: "invalid_token")
        }
    }

    /// A random URL-safe token of 32 bytes.
    public static func randomToken() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Hex SHA-256, how refresh tokens are stored.
    public static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
