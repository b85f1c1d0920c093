import GRDB

extension Migrations {
    /// 016: image update checks, policies, history and registry limits (issue 19).
    static func registerUpdates(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("016_updates") { db in
            try db.execute(sql: """
                CREATE TABLE update_checks (
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    container_id TEXT NOT NULL,
                    container_name TEXT NOT NULL,
                    stack TEXT,
                    service TEXT,
                    image TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('up_to_date', 'update_available', 'unknown', 'pinned')),
                    current_digest TEXT,
                    available_digest TEXT,
                    available_tag TEXT,
                    available_created TEXT,
                    reason TEXT,
                    checked_at TEXT NOT NULL,
                    PRIMARY KEY (host_id, container_id)
                );
                CREATE INDEX update_checks_state ON update_checks(state, host_id);
                -- One row per host default ('' target), stack or container name: names outlive container ids.
                CREATE TABLE update_policies (
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    scope TEXT NOT NULL CHECK (scope IN ('host', 'stack', 'container')),
                    target TEXT NOT NULL DEFAULT '',
                    mode TEXT NOT NULL CHECK (mode IN ('off', 'notify', 'auto')),
                    maintenance_window TEXT,
                    cooldown_hours INTEGER NOT NULL DEFAULT 0,
                    tag_policy TEXT,
                    updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (host_id, scope, target)
                );
                CREATE TABLE update_history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    task_id TEXT,
                    kind TEXT NOT NULL CHECK (kind IN ('update', 'rollback')),
                    container_name TEXT NOT NULL,
                    stack TEXT,
                    service TEXT,
                    from_image TEXT,
                    to_image TEXT,
                    from_digest TEXT,
                    to_digest TEXT,
                    from_image_id TEXT,
                    to_image_id TEXT,
                    kept_image TEXT,
                    result TEXT NOT NULL CHECK (result IN ('running', 'updated', 'rolled_back', 'failed')),
                    reason TEXT,
                    logs TEXT,
                    by_user TEXT,
                    by_policy INTEGER NOT NULL DEFAULT 0,
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    duration_ms INTEGER
                );
                CREATE INDEX update_history_container ON update_history(host_id, container_name, id);
                CREATE TABLE registry_limits (
                    registry TEXT PRIMARY KEY,
                    remaining INTEGER,
                    window_seconds INTEGER,
                    backoff_until TEXT,
                    updated_at TEXT NOT NULL
                );
                """)
        }
    }
}
