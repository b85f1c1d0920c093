import Foundation
import GRDB

extension AppDatabase {
    /// When the key (an IP or a username) may try again; nil when it is not locked.
    public func loginLockedUntil(_ key: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: "SELECT locked_until FROM login_failures WHERE key = ? AND locked_until > ?",
                                arguments: [key, Timestamp.string()])
        }
    }

    /// Counts a failure within the window and locks the key once it has too many;
    /// each further lock doubles (capped). Returns the lock end when it locked now.
    public func recordLoginFailure(_ key: String, window: TimeInterval, allowed: Int, baseLock: TimeInterval,
                                   maxLock: TimeInterval) throws -> String? {
        try pool.write { db in
            let now = Date()
            var failures = 1
            var first = now
            if let row = try Row.fetchOne(db, sql: "SELECT failures, first_at FROM login_failures WHERE key = ?", arguments: [key]),
               let started = Timestamp.date(row["first_at"]), now.timeIntervalSince(started) < window {
                failures = (row["failures"] as Int) + 1
                first = started
            }
            var lockedUntil: String?
            if failures > allowed {
                let lock = min(maxLock, baseLock * pow(2, Double(failures - allowed - 1)))
                lockedUntil = Timestamp.string(now + lock)
            }
            try db.execute(sql: """
                INSERT INTO login_failures (key, failures, first_at, locked_until) VALUES (?, ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, first_at = excluded.first_at,
                    locked_until = excluded.locked_until
                """, arguments: [key, failures, Timestamp.string(first), lockedUntil])
            return lockedUntil
        }
    }

    public func clearLoginFailures(_ keys: [String]) throws {
        try pool.write { db in
            for key in keys { try db.execute(sql: "DELETE FROM login_failures WHERE key = ?", arguments: [key]) }
        }
    }
}
