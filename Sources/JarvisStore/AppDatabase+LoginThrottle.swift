import Foundation
import GRDB

/// What one more failed login did to a throttle key.
public struct LoginFailureOutcome: Sendable, Equatable {
    /// Failures counted in the current run (the run ends after a quiet window).
    public let failures: Int
    /// Until when the key must wait before its next attempt; nil while under the allowance.
    public let delayedUntil: String?
}

extension AppDatabase {
    /// Until when the key must wait; nil when it may try now.
    public func loginLockedUntil(_ key: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: "SELECT locked_until FROM login_failures WHERE key = ? AND locked_until > ?",
                                arguments: [key, Timestamp.string()])
        }
    }

    /// Counts a failure; a run of failures ends after `window` without one.
    /// From the `allowed`-th failure on, the key waits `baseDelay` before its
    /// next attempt, doubling per further failure up to `maxDelay`.
    public func recordLoginFailure(_ key: String, window: TimeInterval, allowed: Int, baseDelay: TimeInterval,
                                   maxDelay: TimeInterval) throws -> LoginFailureOutcome {
        try pool.write { db in
            let now = Date()
            var failures = 1
            var first = now
            if let row = try Row.fetchOne(db, sql: "SELECT failures, first_at, last_at FROM login_failures WHERE key = ?", arguments: [key]),
               let started = Timestamp.date(row["first_at"]),
               let last = Timestamp.date((row["last_at"] as String?) ?? (row["first_at"] as String)),
               now.timeIntervalSince(last) < window {
                failures = (row["failures"] as Int) + 1
                first = started
            }
            var delayedUntil: String?
            if failures >= allowed {
                let delay = min(maxDelay, baseDelay * pow(2, Double(min(failures - allowed, 40))))
                delayedUntil = Timestamp.string(now + delay)
            }
            try db.execute(sql: """
                INSERT INTO login_failures (key, failures, first_at, last_at, locked_until) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, first_at = excluded.first_at,
                    last_at = excluded.last_at, locked_until = excluded.locked_until
                """, arguments: [key, failures, Timestamp.string(first), Timestamp.string(now), delayedUntil])
            // Rows of runs that ended long ago are dead weight (spraying makes many).
            try db.execute(sql: """
                DELETE FROM login_failures WHERE COALESCE(last_at, first_at) < ? AND (locked_until IS NULL OR locked_until < ?)
                """, arguments: [Timestamp.string(now - 2 * window), Timestamp.string(now)])
            return LoginFailureOutcome(failures: failures, delayedUntil: delayedUntil)
        }
    }

    public func clearLoginFailures(_ keys: [String]) throws {
        try pool.write { db in
            for key in keys { try db.execute(sql: "DELETE FROM login_failures WHERE key = ?", arguments: [key]) }
        }
    }

    /// Deletes every row keyed by a prefix (all of a username's (username, IP)
    /// rows); returns how many went. Compared by prefix, not LIKE: names may hold `_`.
    @discardableResult
    public func clearLoginFailures(prefix: String) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM login_failures WHERE substr(key, 1, length(?)) = ?", arguments: [prefix, prefix])
            return db.changesCount
        }
    }
}
