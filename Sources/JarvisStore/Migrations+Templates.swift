import GRDB

extension Migrations {
    /// 017: app templates (issue 22). Imported template lists keep their last good conversion;
    /// a stack deployed from a template remembers which one and which version.
    static func registerTemplates(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("017_templates") { db in
            try db.execute(sql: """
                CREATE TABLE template_sources (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
                    url TEXT,
                    templates TEXT NOT NULL DEFAULT '[]',
                    warnings TEXT NOT NULL DEFAULT '[]',
                    fetched_at TEXT,
                    last_error TEXT,
                    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                CREATE TABLE stack_templates (
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    stack TEXT NOT NULL CHECK (length(stack) BETWEEN 1 AND 64),
                    template_id TEXT NOT NULL,
                    template_version TEXT NOT NULL,
                    secret_keys TEXT NOT NULL DEFAULT '[]',
                    deployed_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    deployed_at TEXT NOT NULL,
                    PRIMARY KEY (host_id, stack)
                );
                """)
        }
    }
}
