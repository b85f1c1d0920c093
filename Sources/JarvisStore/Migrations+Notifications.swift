import GRDB

extension Migrations {
    /// 012: notification channels (sealed configuration), rules, recent events, throttle state and the
    /// delivery queue that is also the delivery log.
    static func registerNotifications(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("012_notifications") { db in
            try db.execute(sql: """
                CREATE TABLE notify_channels (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 64),
                    sealed_config TEXT NOT NULL,
                    enabled INTEGER NOT NULL DEFAULT 1,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                CREATE TABLE notify_rules (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 64),
                    enabled INTEGER NOT NULL DEFAULT 1,
                    events TEXT NOT NULL,
                    filters TEXT NOT NULL DEFAULT '{}',
                    channels TEXT NOT NULL,
                    template TEXT,
                    language TEXT NOT NULL DEFAULT 'en',
                    throttle_seconds INTEGER NOT NULL DEFAULT 600,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                CREATE TABLE notify_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    host_id INTEGER,
                    host_name TEXT,
                    target TEXT NOT NULL,
                    summary TEXT NOT NULL,
                    fields TEXT NOT NULL DEFAULT '{}',
                    routed_at TEXT
                );
                CREATE INDEX notify_events_unrouted ON notify_events(routed_at) WHERE routed_at IS NULL;
                CREATE TABLE notify_throttle (
                    rule_id INTEGER NOT NULL REFERENCES notify_rules(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    target TEXT NOT NULL,
                    last_sent_at TEXT NOT NULL,
                    suppressed INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (rule_id, kind, target)
                );
                CREATE TABLE notify_deliveries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    created_at TEXT NOT NULL,
                    rule_id INTEGER REFERENCES notify_rules(id) ON DELETE SET NULL,
                    rule_name TEXT,
                    channel_id INTEGER REFERENCES notify_channels(id) ON DELETE CASCADE,
                    channel_name TEXT NOT NULL,
                    channel_kind TEXT NOT NULL,
                    event_id INTEGER REFERENCES notify_events(id) ON DELETE SET NULL,
                    event_kind TEXT NOT NULL,
                    target TEXT NOT NULL,
                    title TEXT NOT NULL,
                    body TEXT NOT NULL,
                    repeats INTEGER NOT NULL DEFAULT 0,
                    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at TEXT NOT NULL,
                    last_attempt_at TEXT,
                    error TEXT,
                    answer TEXT
                );
                CREATE INDEX notify_deliveries_due ON notify_deliveries(state, next_attempt_at);
                CREATE INDEX notify_deliveries_channel ON notify_deliveries(channel_id, last_attempt_at);
                """)
        }
        registerNotifyMarks(&migrator)
    }
}
