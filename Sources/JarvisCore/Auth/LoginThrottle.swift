import Foundation
import JarvisStore

/// Limits on failed logins, keyed so that an anonymous client can only slow
/// itself down: per (username, IP), against guessing one account from one
/// place, and per IP, against trying many accounts (spraying). There is no key
/// for a username alone, so nobody can keep `admin` out from somewhere else.
/// Once a key has `allowed` failures, each failure makes the next attempt under
/// that key wait, 1 s doubling per further failure up to an hour; the count
/// ends after `window` without a failure.
public struct LoginThrottle: Sendable {
    public var window: TimeInterval = 15 * 60
    public var perUserAndIP = 5
    public var perIP = 20
    public var baseDelay: TimeInterval = 1
    public var maxDelay: TimeInterval = 3600

    public init() {}

    /// One throttle row: its store key and how many failures it allows before delays start.
    struct Key { let key: String; let allowed: Int }

    /// The row of one (username, IP) pair; a login without a known address counts as one address.
    static func userKey(_ username: String, ip: String?) -> String {
        userPrefix(username) + (ip ?? "unknown")
    }

    /// Every (username, IP) row of a username starts with this (usernames never contain `|`).
    public static func userPrefix(_ username: String) -> String {
        "user-ip:" + String(username.lowercased().prefix(64)) + "|"
    }

    func keys(username: String, ip: String?) -> [Key] {
        [Key(key: Self.userKey(username, ip: ip), allowed: perUserAndIP), Key(key: "ip:" + (ip ?? "unknown"), allowed: perIP)]
    }

    func lockedError(until: String) -> JarvisError {
        var error = JarvisError(429, "too_many_attempts", "too many failed logins from this address; try again later")
        let seconds = max(1, Int((Timestamp.date(until) ?? Date()).timeIntervalSinceNow.rounded(.up)))
        error.headers = [("Retry-After", String(seconds))]
        return error
    }
}
