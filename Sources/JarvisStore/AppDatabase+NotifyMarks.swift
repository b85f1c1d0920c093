import Foundation
import GRDB

/// What the event producers that watch a level (a certificate's expiry, disk use, the audit chain) remember so an
/// event goes out once per crossing and not on every check, across restarts: `notify_marks`, one value per key.
extension AppDatabase {
    /// The mark stored under `key` (`cert:<host id>`, `disk:<host id>`, `audit-chain`), or nil.
    public func notifyMark(_ key: String) throws -> String? {
        try pool.read { try String.fetchOne($0, sql: "SELECT value FROM notify_marks WHERE key = ?", arguments: [key]) }
    }

    /// Stores `value` under `key` (nil removes it) and answers the value it replaces, in one transaction, so a
    /// producer that sees the same level twice emits once.
    @discardableResult
    public func swapNotifyMark(_ key: String, to value: String?) throws -> String? {
        try pool.write { db in
            let old = try String.fetchOne(db, sql: "SELECT value FROM notify_marks WHERE key = ?", arguments: [key])
            if let value {
                try db.execute(sql: """
                    INSERT INTO notify_marks (key, value, at) VALUES (?, ?, ?)
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value, at = excluded.at
                    """, arguments: [key, value, Timestamp.string()])
            } else {
                try db.execute(sql: "DELETE FROM notify_marks WHERE key = ?", arguments: [key])
            }
            return old
        }
    }

    /// The state of the job's newest run that ended with an outcome (succeeded, failed, timed out) other than `runID`:
    /// what a success is compared with to tell a recovery. Retrying attempts, skips and cancels are not outcomes.
    public func previousRunOutcome(jobID: Int64, excluding runID: Int64) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: """
                SELECT state FROM job_runs WHERE job_id = ? AND id <> ? AND state IN ('succeeded', 'failed', 'timed_out')
                  AND finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1
                """, arguments: [jobID, runID])
        }
    }
}

extension Migrations {
    /// 012 (second part): the marks of level-watching event producers.
    static func registerNotifyMarks(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("012_notify_marks") { db in
            try db.execute(sql: """
                CREATE TABLE notify_marks (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL,
                    at TEXT NOT NULL
                );
                """)
        }
    }
}
