import Foundation
import GRDB

/// One scheduled job (`jobs`). `trigger` and `params` are JSON text; `nextFireAt` is the scheduler's
/// own bookkeeping (the next nominal fire), recomputed whenever the job or its trigger changes.
public struct JobRecord: Sendable {
    public var id: Int64
    public var name: String
    public var kind: String
    public var hostID: Int64
    public var hostName: String?
    public var trigger: String
    public var enabled: Bool
    public var missedPolicy: String
    public var overlap: String
    public var retryCount: Int
    public var retryDelaySeconds: Int
    public var retryBackoff: Double
    public var retryMaxDelaySeconds: Int
    public var timeoutSeconds: Int?
    public var maxConcurrent: Int?
    public var params: String
    public var createdBy: Int64?
    public var createdByName: String?
    public var createdAt: String
    public var updatedAt: String
    public var nextFireAt: String?
    public var lastFireAt: String?

    /// A new job (id 0 until inserted).
    public init(name: String, kind: String, hostID: Int64, trigger: String, params: String, createdBy: Int64?) {
        id = 0; self.name = name; self.kind = kind; self.hostID = hostID; self.trigger = trigger; self.params = params
        self.createdBy = createdBy
        enabled = true; missedPolicy = "skip"; overlap = "skip"
        retryCount = 0; retryDelaySeconds = 30; retryBackoff = 2; retryMaxDelaySeconds = 3600
        createdAt = Timestamp.string(); updatedAt = createdAt
    }

    init(row: Row) {
        id = row["id"]; name = row["name"]; kind = row["kind"]; hostID = row["host_id"]; hostName = row["host_name"]
        trigger = row["trigger"]; enabled = row["enabled"]; missedPolicy = row["missed_policy"]; overlap = row["overlap"]
        retryCount = row["retry_count"]; retryDelaySeconds = row["retry_delay_seconds"]; retryBackoff = row["retry_backoff"]
        retryMaxDelaySeconds = row["retry_max_delay_seconds"]; timeoutSeconds = row["timeout_seconds"]
        maxConcurrent = row["max_concurrent"]; params = row["params"]; createdBy = row["created_by"]
        createdByName = row["created_by_name"]; createdAt = row["created_at"]; updatedAt = row["updated_at"]
        nextFireAt = row["next_fire_at"]; lastFireAt = row["last_fire_at"]
    }
}

/// One attempt of a job run (`job_runs`); a retry is a new row with `trigger` `retry` and the next attempt.
public struct JobRunRecord: Sendable {
    public var id: Int64
    public var jobID: Int64
    public var state: String
    public var attempt: Int
    public var trigger: String
    public var triggeredBy: Int64?
    public var triggeredByName: String?
    public var retryOf: Int64?
    public var scheduledFor: String?
    public var notBefore: String
    public var queuedAt: String
    public var startedAt: String?
    public var finishedAt: String?
    public var exitCode: Int?
    public var result: String?
    public var error: String?
    public var taskID: String?

    /// States a run ends in.
    public static let finishedStates: Set<String> = ["retrying", "succeeded", "failed", "timed_out", "canceled", "skipped"]

    /// A queued run (or a skipped one, with `state` `skipped`).
    public init(jobID: Int64, state: String = "queued", attempt: Int = 1, trigger: String, triggeredBy: Int64? = nil,
                triggeredByName: String? = nil, retryOf: Int64? = nil, scheduledFor: String? = nil, notBefore: Date = Date()) {
        id = 0; self.jobID = jobID; self.state = state; self.attempt = attempt; self.trigger = trigger
        self.triggeredBy = triggeredBy; self.triggeredByName = triggeredByName; self.retryOf = retryOf
        self.scheduledFor = scheduledFor; self.notBefore = Timestamp.string(notBefore); queuedAt = Timestamp.string()
    }

    init(row: Row) {
        id = row["id"]; jobID = row["job_id"]; state = row["state"]; attempt = row["attempt"]; trigger = row["trigger"]
        triggeredBy = row["triggered_by"]; triggeredByName = row["triggered_by_name"]; retryOf = row["retry_of"]
        scheduledFor = row["scheduled_for"]; notBefore = row["not_before"]; queuedAt = row["queued_at"]
        startedAt = row["started_at"]; finishedAt = row["finished_at"]; exitCode = row["exit_code"]
        result = row["result"]; error = row["error"]; taskID = row["task_id"]
    }
}

/// Another job has this name (names are unique, case-insensitive).
public struct JobNameTaken: Error, Sendable {
    public let name: String
}

/// What happened to a fire the scheduler took.
public enum FireOutcome: Sendable, Equatable {
    /// Another scheduler (jarvis-sse or `jarvisctl schedule tick`) took this fire first.
    case alreadyTaken
    /// A run was queued.
    case queued(Int64)
    /// The overlap policy recorded a skipped run.
    case skipped(Int64)
    /// Only the next fire time moved (a missed fire with the `skip` policy).
    case moved
}

extension AppDatabase {
    private static let jobSelect = """
        SELECT jobs.*, hosts.name AS host_name, users.username AS created_by_name FROM jobs
        LEFT JOIN hosts ON hosts.id = jobs.host_id LEFT JOIN users ON users.id = jobs.created_by
        """

    /// Stores a new job and returns it with its id; a taken name throws `JobNameTaken`.
    public func insertJob(_ job: JobRecord) throws -> JobRecord {
        try pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE name = ?)", arguments: [job.name]) == true {
                throw JobNameTaken(name: job.name)
            }
            try db.execute(sql: """
                INSERT INTO jobs (name, kind, host_id, trigger, enabled, missed_policy, overlap, retry_count, retry_delay_seconds,
                    retry_backoff, retry_max_delay_seconds, timeout_seconds, max_concurrent, params, created_by, created_at, updated_at,
                    next_fire_at, last_fire_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [job.name, job.kind, job.hostID, job.trigger, job.enabled, job.missedPolicy, job.overlap, job.retryCount,
                                 job.retryDelaySeconds, job.retryBackoff, job.retryMaxDelaySeconds, job.timeoutSeconds, job.maxConcurrent,
                                 job.params, job.createdBy, job.createdAt, job.updatedAt, job.nextFireAt, job.lastFireAt])
            try Self.bumpJobChanges(db)
            return try Row.fetchOne(db, sql: Self.jobSelect + " WHERE jobs.id = ?", arguments: [db.lastInsertedRowID]).map(JobRecord.init(row:))!
        }
    }

    /// Replaces a job's settings (not its creator); false when it is gone.
    public func updateJob(_ job: JobRecord) throws -> Bool {
        try pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE name = ? AND id != ?)", arguments: [job.name, job.id]) == true {
                throw JobNameTaken(name: job.name)
            }
            try db.execute(sql: """
                UPDATE jobs SET name = ?, kind = ?, host_id = ?, trigger = ?, enabled = ?, missed_policy = ?, overlap = ?, retry_count = ?,
                    retry_delay_seconds = ?, retry_backoff = ?, retry_max_delay_seconds = ?, timeout_seconds = ?, max_concurrent = ?,
                    params = ?, updated_at = ?, next_fire_at = ?, last_fire_at = ? WHERE id = ?
                """, arguments: [job.name, job.kind, job.hostID, job.trigger, job.enabled, job.missedPolicy, job.overlap, job.retryCount,
                                 job.retryDelaySeconds, job.retryBackoff, job.retryMaxDelaySeconds, job.timeoutSeconds, job.maxConcurrent,
                                 job.params, Timestamp.string(), job.nextFireAt, job.lastFireAt, job.id])
            let changed = db.changesCount > 0
            try Self.bumpJobChanges(db)
            return changed
        }
    }

    /// Deletes a job and its runs; the deleted job, or nil.
    public func deleteJob(id: Int64) throws -> JobRecord? {
        try pool.write { db in
            guard let job = try Row.fetchOne(db, sql: Self.jobSelect + " WHERE jobs.id = ?", arguments: [id]).map(JobRecord.init(row:)) else { return nil }
            try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [id])
            try Self.bumpJobChanges(db)
            return job
        }
    }

    public func job(id: Int64) throws -> JobRecord? {
        try pool.read { try Row.fetchOne($0, sql: Self.jobSelect + " WHERE jobs.id = ?", arguments: [id]).map(JobRecord.init(row:)) }
    }

    /// Jobs by name, with the total for paging.
    public func jobs(page: Int, pageSize: Int) throws -> (jobs: [JobRecord], total: Int) {
        try pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs") ?? 0
            let rows = try Row.fetchAll(db, sql: Self.jobSelect + " ORDER BY jobs.name LIMIT ? OFFSET ?", arguments: [pageSize, (page - 1) * pageSize])
            return (rows.map(JobRecord.init(row:)), total)
        }
    }

    /// Enabled jobs whose next fire is at or before `now` (text timestamps sort as time).
    public func dueJobs(now: Date) throws -> [JobRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: Self.jobSelect + " WHERE jobs.enabled = 1 AND jobs.next_fire_at IS NOT NULL AND jobs.next_fire_at <= ?",
                             arguments: [Timestamp.string(now)]).map(JobRecord.init(row:))
        }
    }

    /// The earliest moment something is due: an enabled job's next fire or a queued run's `not_before`.
    public func nextJobWake() throws -> Date? {
        try pool.read { db in
            let fire = try String.fetchOne(db, sql: "SELECT min(next_fire_at) FROM jobs WHERE enabled = 1")
            let run = try String.fetchOne(db, sql: "SELECT min(not_before) FROM job_runs WHERE state = 'queued'")
            return [fire, run].compactMap { $0.flatMap(Timestamp.date) }.min()
        }
    }

    /// Bumped by every change to the jobs table: the scheduler in another process reads it to wake.
    public func jobChanges() throws -> Int64 {
        try pool.read { try Int64.fetchOne($0, sql: "SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'jobs.changes'") } ?? 0
    }

    static func bumpJobChanges(_ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO settings (key, value, updated_at) VALUES ('jobs.changes', '1', ?)
            ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT), updated_at = excluded.updated_at
            """, arguments: [Timestamp.string()])
    }

    /// Takes one fire of a job, once across processes: moves `next_fire_at` from `expected` to `next` and, as the
    /// overlap policy says, queues a run, records a skipped one, or (with `run` nil) only moves the time.
    /// Overlap: `allow` always queues; `skip` records a skipped run when one is queued or running;
    /// `queue` keeps at most one waiting run (a second is skipped).
    public func takeFire(jobID: Int64, expected: String?, next: String?, fired: String, run: JobRunRecord?, overlap: String,
                         skippedResult: String? = nil) throws -> FireOutcome {
        try pool.write { db in
            try db.execute(sql: "UPDATE jobs SET next_fire_at = ?, last_fire_at = ? WHERE id = ? AND next_fire_at IS ?",
                           arguments: [next, fired, jobID, expected])
            guard db.changesCount == 1 else { return .alreadyTaken }
            guard var run else { return .moved }
            let running = try Int.fetchOne(db, sql: "SELECT count(*) FROM job_runs WHERE job_id = ? AND state = 'running'", arguments: [jobID]) ?? 0
            let waiting = try Int.fetchOne(db, sql: "SELECT count(*) FROM job_runs WHERE job_id = ? AND state = 'queued'", arguments: [jobID]) ?? 0
            var skip = false
            switch overlap {
            case "skip": skip = running + waiting > 0
            case "queue": skip = waiting > 0
            default: skip = false
            }
            if skip || run.state == "skipped" {
                run.state = "skipped"
                let id = try Self.insertRun(db, run, finished: true,
                                            result: skippedResult ?? #"{"reason":"overlap","running":\#(running),"waiting":\#(waiting)}"#)
                try Self.trimRuns(db, runID: id)
                return .skipped(id)
            }
            return .queued(try Self.insertRun(db, run, finished: false, result: nil))
        }
    }

    /// Queues a run now (run now, retries), whatever the overlap policy.
    public func queueRun(_ run: JobRunRecord) throws -> JobRunRecord {
        try pool.write { db in
            let id = try Self.insertRun(db, run, finished: false, result: nil)
            try Self.bumpJobChanges(db)
            return try Row.fetchOne(db, sql: "SELECT * FROM job_runs WHERE id = ?", arguments: [id]).map(JobRunRecord.init(row:))!
        }
    }

    private static func insertRun(_ db: Database, _ run: JobRunRecord, finished: Bool, result: String?) throws -> Int64 {
        let now = Timestamp.string()
        try db.execute(sql: """
            INSERT INTO job_runs (job_id, state, attempt, trigger, triggered_by, triggered_by_name, retry_of, scheduled_for, not_before,
                queued_at, started_at, finished_at, result)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run.jobID, run.state, run.attempt, run.trigger, run.triggeredBy, run.triggeredByName, run.retryOf,
                             run.scheduledFor, run.notBefore, run.queuedAt, finished ? now : nil, finished ? now : nil, result])
        return db.lastInsertedRowID
    }

    /// Claims queued runs that are due, oldest first, while fewer than `globalCap` runs are running in all and
    /// fewer than the job's `max_concurrent` (1 unless overlap is `allow`) for that job.
    public func claimDueRuns(now: Date, globalCap: Int, runnerPID: Int32) throws -> [JobRunRecord] {
        try pool.write { db in
            var running = try Int.fetchOne(db, sql: "SELECT count(*) FROM job_runs WHERE state = 'running'") ?? 0
            guard running < globalCap else { return [] }
            let candidates = try Row.fetchAll(db, sql: """
                SELECT job_runs.id, job_runs.job_id, jobs.overlap, jobs.max_concurrent,
                    (SELECT count(*) FROM job_runs r WHERE r.job_id = job_runs.job_id AND r.state = 'running') AS busy
                FROM job_runs JOIN jobs ON jobs.id = job_runs.job_id
                WHERE job_runs.state = 'queued' AND job_runs.not_before <= ? ORDER BY job_runs.not_before, job_runs.id LIMIT 500
                """, arguments: [Timestamp.string(now)])
            var busy: [Int64: Int] = [:]
            var claimed: [Int64] = []
            let started = Timestamp.string()
            for row in candidates {
                guard running < globalCap else { break }
                let jobID: Int64 = row["job_id"]
                let overlap: String = row["overlap"]
                let cap: Int = overlap == "allow" ? (row["max_concurrent"] ?? Int.max) : 1
                let current = busy[jobID] ?? row["busy"]
                guard current < cap else { continue }
                let id: Int64 = row["id"]
                try db.execute(sql: "UPDATE job_runs SET state = 'running', started_at = ?, runner_pid = ? WHERE id = ? AND state = 'queued'",
                               arguments: [started, runnerPID, id])
                guard db.changesCount == 1 else { continue }
                busy[jobID] = current + 1
                running += 1
                claimed.append(id)
            }
            guard !claimed.isEmpty else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM job_runs WHERE id IN (\(claimed.map(String.init).joined(separator: ",")))"
                                    + " ORDER BY id").map(JobRunRecord.init(row:))
        }
    }

    /// Records the task a run waits on (pulls and stack operations run as tasks).
    public func setRunTask(id: Int64, taskID: String) throws {
        try pool.write { try $0.execute(sql: "UPDATE job_runs SET task_id = ? WHERE id = ?", arguments: [taskID, id]) }
    }

    /// Ends a running run; with `retry` set, queues that next attempt in the same transaction.
    public func finishRun(id: Int64, state: String, exitCode: Int? = nil, result: String?, error: String?, retry: JobRunRecord? = nil) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE job_runs SET state = ?, finished_at = ?, exit_code = ?, result = ?, error = ?, runner_pid = NULL
                WHERE id = ? AND state = 'running'
                """, arguments: [state, Timestamp.string(), exitCode, result, error, id])
            if let retry, db.changesCount == 1 { _ = try Self.insertRun(db, retry, finished: false, result: nil) }
            try Self.trimRuns(db, runID: id)
        }
    }

    /// Runs kept per job: a job every 2 s would otherwise add 43,200 rows a day.
    public static let runsKeptPerJob = 1000

    /// Drops the job's oldest ended runs beyond `runsKeptPerJob` (one indexed delete).
    static func trimRuns(_ db: Database, runID: Int64) throws {
        try db.execute(sql: """
            DELETE FROM job_runs WHERE job_id = (SELECT job_id FROM job_runs WHERE id = :run) AND state NOT IN ('queued', 'running')
              AND id < (SELECT id FROM job_runs WHERE job_id = (SELECT job_id FROM job_runs WHERE id = :run)
                        ORDER BY id DESC LIMIT 1 OFFSET \(runsKeptPerJob - 1))
            """, arguments: ["run": runID])
    }

    /// Runs left `running` by a scheduler process that is gone end as `canceled`, with the reason.
    public func recoverOrphanRuns(isAlive: (Int32) -> Bool) throws -> Int {
        try pool.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, runner_pid FROM job_runs WHERE state = 'running'")
            var count = 0
            for row in rows {
                let pid: Int32? = row["runner_pid"]
                if let pid, isAlive(pid) { continue }
                try db.execute(sql: """
                    UPDATE job_runs SET state = 'canceled', finished_at = ?, error = 'the scheduler stopped while this run was running'
                    WHERE id = ?
                    """, arguments: [Timestamp.string(), row["id"] as Int64])
                count += 1
            }
            return count
        }
    }

    public func jobRun(id: Int64) throws -> JobRunRecord? {
        try pool.read { try Row.fetchOne($0, sql: "SELECT * FROM job_runs WHERE id = ?", arguments: [id]).map(JobRunRecord.init(row:)) }
    }

    /// A job's runs, newest first, with the total.
    public func jobRuns(jobID: Int64, state: String? = nil, page: Int, pageSize: Int) throws -> (runs: [JobRunRecord], total: Int) {
        try pool.read { db in
            let filter = state == nil ? "" : " AND state = ?"
            var arguments: StatementArguments = [jobID]
            if let state { arguments += [state] }
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM job_runs WHERE job_id = ?" + filter, arguments: arguments) ?? 0
            arguments += [pageSize, (page - 1) * pageSize]
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM job_runs WHERE job_id = ?" + filter + " ORDER BY id DESC LIMIT ? OFFSET ?",
                                        arguments: arguments)
            return (rows.map(JobRunRecord.init(row:)), total)
        }
    }

    /// The newest finished or running run of each of these jobs (skipped runs aside), for the list.
    public func lastRuns(jobIDs: [Int64]) throws -> [Int64: JobRunRecord] {
        guard !jobIDs.isEmpty else { return [:] }
        return try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM job_runs WHERE id IN (SELECT max(id) FROM job_runs WHERE state NOT IN ('queued', 'skipped')
                    AND job_id IN (\(jobIDs.map(String.init).joined(separator: ","))) GROUP BY job_id)
                """)
            return Dictionary(uniqueKeysWithValues: rows.map { row in let run = JobRunRecord(row: row); return (run.jobID, run) })
        }
    }

    /// How many runs are running now (all jobs).
    public func runningRunCount() throws -> Int {
        try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM job_runs WHERE state = 'running'") } ?? 0
    }
}
