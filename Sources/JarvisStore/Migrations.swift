import GRDB

/// Numbered, frozen migrations: never edit one that shipped, add the next.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001_users_tokens_audit_tasks_settings") { db in
            try db.execute(sql: """
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    username TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(username) BETWEEN 1 AND 64),
                    password_hash TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
                    disabled INTEGER NOT NULL DEFAULT 0,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    password_changed_at TEXT NOT NULL
                );
                CREATE TABLE refresh_tokens (
                    id TEXT PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    family_id TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    created_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL,
                    used_at TEXT,
                    revoked_at TEXT,
                    ip TEXT,
                    user_agent TEXT
                );
                CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
                CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,
                    user_id INTEGER,
                    username TEXT,
                    role TEXT,
                    action TEXT NOT NULL,
                    resource_type TEXT,
                    resource_id TEXT,
                    resource_name TEXT,
                    params TEXT,
                    result TEXT NOT NULL CHECK (result IN ('success', 'failure')),
                    error TEXT,
                    ip TEXT,
                    user_agent TEXT,
                    request_id TEXT
                );
                CREATE INDEX audit_log_at ON audit_log(at);
                CREATE INDEX audit_log_action ON audit_log(action);
                CREATE INDEX audit_log_username ON audit_log(username);
                CREATE TABLE tasks (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'canceled', 'interrupted')),
                    target TEXT,
                    params TEXT NOT NULL DEFAULT '{}',
                    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    created_at TEXT NOT NULL,
                    started_at TEXT,
                    finished_at TEXT,
                    result TEXT,
                    error TEXT,
                    retry_of TEXT REFERENCES tasks(id) ON DELETE SET NULL
                );
                CREATE INDEX tasks_state ON tasks(state, created_at);
                CREATE TABLE task_progress (
                    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    at TEXT NOT NULL,
                    data TEXT NOT NULL,
                    PRIMARY KEY (task_id, seq)
                );
                CREATE TABLE settings (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("002_audit_hash_chain") { db in
            try db.execute(sql: """
                ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
                ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';
                CREATE TABLE audit_checkpoints (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,
                    last_id INTEGER NOT NULL,
                    last_hash TEXT NOT NULL,
                    purged INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("003_confirmations_login_throttle") { db in
            try db.execute(sql: """
                CREATE TABLE confirmations (
                    token_hash TEXT PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    action TEXT NOT NULL,
                    targets TEXT NOT NULL,
                    expires_at TEXT NOT NULL,
                    used_at TEXT
                );
                CREATE TABLE login_failures (
                    key TEXT PRIMARY KEY,
                    failures INTEGER NOT NULL,
                    first_at TEXT NOT NULL,
                    locked_until TEXT
                );
                """)
        }
        migrator.registerMigration("004_container_snapshot_stats_terminals") { db in
            try db.execute(sql: """
                CREATE TABLE container_snapshot (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    image TEXT NOT NULL,
                    image_id TEXT,
                    command TEXT,
                    created INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    status TEXT NOT NULL,
                    health TEXT,
                    ports TEXT NOT NULL,
                    labels TEXT NOT NULL,
                    observed_at INTEGER NOT NULL
                );
                CREATE INDEX container_snapshot_name ON container_snapshot(name);
                CREATE TABLE container_stats (
                    id TEXT PRIMARY KEY,
                    cpu_percent REAL,
                    memory_used INTEGER,
                    memory_limit INTEGER,
                    network_rx INTEGER,
                    network_tx INTEGER,
                    pids INTEGER,
                    sampled_at INTEGER NOT NULL
                );
                CREATE TABLE terminal_tokens (
                    token_hash TEXT PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    container_id TEXT NOT NULL,
                    container_name TEXT NOT NULL,
                    exec_id TEXT NOT NULL,
                    tty INTEGER NOT NULL,
                    expires_at TEXT NOT NULL,
                    used_at TEXT
                );
                """)
        }
        migrator.registerMigration("005_task_runner_registry_credentials") { db in
            try db.execute(sql: """
                ALTER TABLE tasks ADD COLUMN title TEXT NOT NULL DEFAULT '';
                ALTER TABLE tasks ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE tasks ADD COLUMN runner_pid INTEGER;
                ALTER TABLE tasks ADD COLUMN sealed_secret TEXT;
                ALTER TABLE tasks ADD COLUMN upload_path TEXT;
                ALTER TABLE tasks ADD COLUMN artifact_path TEXT;
                ALTER TABLE tasks ADD COLUMN artifact_size INTEGER;
                ALTER TABLE tasks ADD COLUMN artifact_expires_at TEXT;
                CREATE INDEX tasks_created ON tasks(created_at);
                CREATE TABLE registry_credentials (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    registry TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    username TEXT NOT NULL,
                    sealed_password TEXT NOT NULL,
                    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("006_login_throttle_by_user_and_ip") { db in
            // Failures count per (username, IP) and per IP; a run ends after a quiet
            // window since its last failure. Rows keyed by a username alone (the
            // old lock any anonymous client could renew) are dropped.
            try db.execute(sql: """
                ALTER TABLE login_failures ADD COLUMN last_at TEXT;
                DELETE FROM login_failures WHERE key LIKE 'user:%';
                """)
        }
        migrator.registerMigration("007_terminal_tickets_bound_to_session") { db in
            // Tickets name the session that asked and the Host it used; old
            // tickets (a minute's worth at most) have neither and never redeem.
            try db.execute(sql: """
                ALTER TABLE terminal_tokens ADD COLUMN session_id TEXT;
                ALTER TABLE terminal_tokens ADD COLUMN host TEXT;
                """)
        }
        migrator.registerMigration("008_keyed_audit_chain") { db in
            // The marker: the first row hashed with the HMAC key (set by that row's
            // append, with a MAC). Rows before it keep the plain SHA-256 rule.
            // Created here, not by the first keyed append, so that deleting it is
            // itself detected. New purge checkpoints carry a MAC.
            try db.execute(sql: """
                CREATE TABLE audit_chain (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    keyed_from INTEGER,
                    mac TEXT
                );
                INSERT INTO audit_chain (id) VALUES (1);
                ALTER TABLE audit_checkpoints ADD COLUMN mac TEXT;
                """)
        }
        migrator.registerMigration("009_hosts") { db in
            // Engines become records. Host 1 is `local`, the engine of `docker_host`:
            // every row that existed before is attributed to it. Its endpoint follows
            // the config at each start. The container mirror is a cache: rebuilt keyed
            // by host (the same engine may be added twice under two names).
            try db.execute(sql: """
                CREATE TABLE hosts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),
                    display_name TEXT NOT NULL,
                    endpoint TEXT NOT NULL,
                    transport TEXT NOT NULL CHECK (transport IN ('unix', 'tls', 'ssh', 'tcp')),
                    sealed_credentials TEXT,
                    credential_facts TEXT NOT NULL DEFAULT '{}',
                    labels TEXT NOT NULL DEFAULT '{}',
                    group_name TEXT NOT NULL DEFAULT '',
                    read_only INTEGER NOT NULL DEFAULT 0,
                    terminal_enabled INTEGER NOT NULL DEFAULT 1,
                    is_default INTEGER NOT NULL DEFAULT 0,
                    archived_at TEXT,
                    state TEXT NOT NULL DEFAULT 'unknown' CHECK (state IN ('unknown', 'online', 'offline')),
                    state_changed_at TEXT,
                    last_seen TEXT,
                    last_error TEXT,
                    latency_ms REAL,
                    engine TEXT NOT NULL DEFAULT '{}',
                    mirror_synced_at INTEGER,
                    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                INSERT INTO hosts (id, name, display_name, endpoint, transport, is_default, created_at, updated_at)
                VALUES (1, 'local', 'Local', 'unix:///var/run/docker.sock', 'unix', 1, strftime('%Y-%m-%dT%H:%M:%fZ'), strftime('%Y-%m-%dT%H:%M:%fZ'));
                CREATE TABLE host_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    at TEXT NOT NULL,
                    state TEXT NOT NULL,
                    previous TEXT NOT NULL,
                    error TEXT,
                    latency_ms REAL
                );
                CREATE INDEX host_events_host ON host_events(host_id, id);
                ALTER TABLE tasks ADD COLUMN host_id INTEGER NOT NULL DEFAULT 1;
                CREATE INDEX tasks_host ON tasks(host_id, state);
                ALTER TABLE terminal_tokens ADD COLUMN host_id INTEGER NOT NULL DEFAULT 1;
                DROP TABLE container_snapshot;
                DROP TABLE container_stats;
                CREATE TABLE container_snapshot (
                    host_id INTEGER NOT NULL,
                    id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    image TEXT NOT NULL,
                    image_id TEXT,
                    command TEXT,
                    created INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    status TEXT NOT NULL,
                    health TEXT,
                    ports TEXT NOT NULL,
                    labels TEXT NOT NULL,
                    observed_at INTEGER NOT NULL,
                    PRIMARY KEY (host_id, id)
                );
                CREATE INDEX container_snapshot_name ON container_snapshot(name);
                CREATE TABLE container_stats (
                    host_id INTEGER NOT NULL,
                    id TEXT NOT NULL,
                    cpu_percent REAL,
                    memory_used INTEGER,
                    memory_limit INTEGER,
                    network_rx INTEGER,
                    network_tx INTEGER,
                    pids INTEGER,
                    sampled_at INTEGER NOT NULL,
                    PRIMARY KEY (host_id, id)
                );
                DELETE FROM settings WHERE key = 'container_mirror.synced_at';
                """)
        }
        migrator.registerMigration("010_user_preferences") { db in
            // What a user chose for the console (language now; theme later), one row per user and key.
            try db.execute(sql: """
                CREATE TABLE user_preferences (
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 64),
                    value TEXT NOT NULL CHECK (length(value) <= 256),
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (user_id, key)
                );
                """)
        }
        registerDiskUsage(&migrator)
        registerNotifications(&migrator)
        registerJobs(&migrator)
        registerResourceHistory(&migrator)
        registerUpdates(&migrator)
        registerTemplates(&migrator)
        return migrator
    }
}
