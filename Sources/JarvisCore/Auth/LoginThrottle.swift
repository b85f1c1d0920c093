import Foundation
import JarvisStore

/// Limits on failed logins: per username (guessing one account) and per IP
/// (trying many). Past the allowance a key is locked, each further failure
/// doubling the lock up to an hour.
public struct LoginThrottle: Sendable {
    public var window: TimeInterval = 15 * 60
    public var perUser = 5
    public var perIP = 20
    public var baseLock: TimeInterval = 60
    public var maxLock: TimeInterval = 3600

    public init() {}

    struct Key { let key: String; let allowed: Int }

    func keys(username: String, ip: String?) -> [Key] {
        [Key(key: "user:" + username.lowercased(), allowed: perUser)] + (ip.map { [Key(key: "ip:" + $0, allowed: perIP)] } ?? [])
    }

    func lockedError(until: String) -> JarvisError {
        var error = JarvisError(429, "too_many_attempts", "too many failed logins; try again later")
        let seconds = max(1, Int((Timestamp.date(until) ?? Date()).timeIntervalSinceNow.rounded(.up)))
        error.headers = [("Retry-After", String(seconds))]
        return error
    }
}
