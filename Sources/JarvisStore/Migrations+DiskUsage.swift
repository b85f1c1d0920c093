import GRDB

extension Migrations {
    /// 011: the last disk-usage report of each host (issue 18).
    static func registerDiskUsage(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("011_disk_usage") { db in
            // The last `GET /system/df` of each host (jarvis-sse refreshes it), so no request waits on df.
            try db.execute(sql: """
                CREATE TABLE disk_usage (
                    host_id INTEGER PRIMARY KEY REFERENCES hosts(id) ON DELETE CASCADE,
                    report TEXT,
                    observed_at INTEGER,
                    requested_at INTEGER,
                    error TEXT
                );
                """)
        }
    }
}
