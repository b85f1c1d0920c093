import Foundation
import JarvisStore

/// What the server hands back with a 428: a token for exactly this user,
/// action and targets, and a human summary of the impact.
public struct ConfirmationChallenge: Encodable, Sendable {
    public let token: String
    public let action: String
    public let targets: [String]
    public let summary: String
    public let expiresIn: Int
}

/// The one server-side mechanism for dangerous actions: without a valid
/// `X-Confirmation-Token` the action is refused with 428 and a fresh token.
public final class ConfirmationService: Sendable {
    public static let header = "x-confirmation-token"
    public static let lifetime: TimeInterval = 120
    private let database: AppDatabase

    public init(database: AppDatabase) { self.database = database }

    /// Returns when `presented` confirms this action; otherwise throws 428 with a challenge,
    /// or 403 when a token was presented but does not fit (replayed, another user or target, expired).
    public func require(_ principal: Principal, action: String, targets: [String], summary: String, presented: String?) throws {
        let canonical = targets.sorted().joined(separator: "\n")
        if let presented, !presented.isEmpty {
            guard try database.consumeConfirmation(tokenHash: TokenService.digest(presented), userID: principal.userID,
                                                   action: action, targets: canonical) else {
                throw JarvisError(403, "confirmation_invalid",
                                  "the confirmation token is used, expired, or was issued for another user, action or target")
            }
            return
        }
        let token = TokenService.randomToken()
        try database.insertConfirmation(tokenHash: TokenService.digest(token), userID: principal.userID, action: action,
                                        targets: canonical, expiresAt: Timestamp.string(Date() + Self.lifetime))
        var error = JarvisError(428, "confirmation_required", "confirm: \(summary)")
        error.confirmation = ConfirmationChallenge(token: token, action: action, targets: targets.sorted(), summary: summary,
                                                   expiresIn: Int(Self.lifetime))
        throw error
    }
}
