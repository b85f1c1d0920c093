import GRDB

extension Migrations {
    /// 013: scheduled jobs and their runs (issue 20). One row per attempt of a run.
    static func registerJobs(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("013_jobs") { db in
            try db.execute(sql: """
                CREATE TABLE jobs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100),
                    kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
                    host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
                    trigger TEXT NOT NULL,
                    enabled INTEGER NOT NULL DEFAULT 1,
                    missed_policy TEXT NOT NULL DEFAULT 'skip' CHECK (missed_policy IN ('skip', 'run_once')),
                    overlap TEXT NOT NULL DEFAULT 'skip' CHECK (overlap IN ('skip', 'queue', 'allow')),
                    retry_count INTEGER NOT NULL DEFAULT 0 CHECK (retry_count BETWEEN 0 AND 100),
                    retry_delay_seconds INTEGER NOT NULL DEFAULT 30 CHECK (retry_delay_seconds >= 0),
                    retry_backoff REAL NOT NULL DEFAULT 2 CHECK (retry_backoff >= 1),
                    retry_max_delay_seconds INTEGER NOT NULL DEFAULT 3600 CHECK (retry_max_delay_seconds >= 0),
                    timeout_seconds INTEGER CHECK (timeout_seconds IS NULL OR timeout_seconds > 0),
                    max_concurrent INTEGER CHECK (max_concurrent IS NULL OR max_concurrent > 0),
                    params TEXT NOT NULL DEFAULT '{}',
                    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    next_fire_at TEXT,
                    last_fire_at TEXT
                );
                CREATE INDEX jobs_due ON jobs(enabled, next_fire_at);
                CREATE TABLE job_runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'retrying', 'succeeded', 'failed',
                                                         'timed_out', 'canceled', 'skipped')),
                    attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
                    trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'retry')),
                    triggered_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
                    triggered_by_name TEXT,
                    retry_of INTEGER REFERENCES job_runs(id) ON DELETE SET NULL,
                    scheduled_for TEXT,
                    not_before TEXT NOT NULL,
                    queued_at TEXT NOT NULL,
                    started_at TEXT,
                    finished_at TEXT,
                    exit_code INTEGER,
                    result TEXT,
                    error TEXT,
                    task_id TEXT,
                    runner_pid INTEGER
                );
                CREATE INDEX job_runs_job ON job_runs(job_id, id);
                CREATE INDEX job_runs_queue ON job_runs(state, not_before);
                """)
        }
    }
}
