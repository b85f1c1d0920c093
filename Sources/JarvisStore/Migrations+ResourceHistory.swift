import GRDB

extension Migrations {
    /// 015: the resource history behind the charts (issue 17).
    static func registerResourceHistory(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("015_resource_history") { db in
            // CPU, memory, network and block I/O over time per container and per host (target ''), in
            // tiers of 10 s, 1 min and 10 min. Each tier is a ring: `slot` = (at / step) % points, so a
            // target never holds more than 360 + 1440 + 1008 rows and nothing has to be deleted by age.
            try db.execute(sql: """
                CREATE TABLE resource_targets (
                    id INTEGER PRIMARY KEY,
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    container_id TEXT NOT NULL,
                    last_seen INTEGER NOT NULL,
                    UNIQUE (host_id, container_id)
                );
                CREATE TABLE resource_history (
                    target INTEGER NOT NULL REFERENCES resource_targets(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL,
                    slot INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    cpu REAL,
                    cpu_max REAL,
                    memory INTEGER,
                    memory_max INTEGER,
                    memory_limit INTEGER,
                    rx REAL,
                    tx REAL,
                    read REAL,
                    write REAL,
                    PRIMARY KEY (target, step, slot)
                ) WITHOUT ROWID;
                """)
        }
    }
}
