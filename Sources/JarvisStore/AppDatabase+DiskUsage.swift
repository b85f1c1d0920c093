import Foundation
import GRDB

/// A host's last disk-usage report as stored: raw JSON, when it was read, and any refresh asked for since.
public struct DiskUsageRow: Sendable {
    public let report: String?
    /// Unix seconds of the report.
    public let observedAt: Int64?
    /// Unix seconds of the last refresh request (after a prune, or from the console).
    public let requestedAt: Int64?
    public let error: String?
}

extension AppDatabase {
    /// The stored report of a host, nil before the first one.
    public func diskUsage(hostID: Int64) throws -> DiskUsageRow? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT report, observed_at, requested_at, error FROM disk_usage WHERE host_id = ?",
                             arguments: [hostID]).map {
                DiskUsageRow(report: $0["report"], observedAt: $0["observed_at"], requestedAt: $0["requested_at"], error: $0["error"])
            }
        }
    }

    /// Stores a fresh report (or the error of a failed refresh, keeping the last good report and its time).
    public func recordDiskUsage(hostID: Int64, report: String?, error: String?, at: Int64) throws {
        try pool.write { db in
            if let report {
                try db.execute(sql: """
                    INSERT INTO disk_usage (host_id, report, observed_at, error) VALUES (?, ?, ?, NULL)
                    ON CONFLICT(host_id) DO UPDATE SET report = excluded.report, observed_at = excluded.observed_at, error = NULL
                    """, arguments: [hostID, report, at])
            } else {
                try db.execute(sql: """
                    INSERT INTO disk_usage (host_id, error) VALUES (?, ?)
                    ON CONFLICT(host_id) DO UPDATE SET error = excluded.error
                    """, arguments: [hostID, error])
            }
        }
    }

    /// Asks jarvis-sse for a new report of a host soon (it looks every two seconds).
    public func requestDiskUsage(hostID: Int64, at: Int64) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO disk_usage (host_id, requested_at) VALUES (?, ?)
                ON CONFLICT(host_id) DO UPDATE SET requested_at = excluded.requested_at
                """, arguments: [hostID, at])
        }
    }
}
