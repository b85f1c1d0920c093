import Foundation
import GRDB

/// One durable task (`tasks`). `params`, `result` are JSON text; secrets never
/// go into `params` (a one-time registry password travels sealed in `sealed_secret`,
/// which is cleared when the task finishes).
public struct TaskRecord: Sendable {
    public var id: String
    public var kind: String
    public var state: String
    public var title: String
    public var target: String?
    public var params: String
    public var createdBy: Int64?
    public var createdByName: String?
    public var createdAt: String
    public var startedAt: String?
    public var finishedAt: String?
    public var result: String?
    public var error: String?
    public var retryOf: String?
    public var cancelRequested: Bool
    public var runnerPID: Int32?
    public var sealedSecret: String?
    public var uploadPath: String?
    public var artifactPath: String?
    public var artifactSize: Int64?
    public var artifactExpiresAt: String?
    /// The engine the task acts on.
    public var hostID: Int64
    public var hostName: String?

    public static let finishedStates: Set<String> = ["succeeded", "failed", "canceled", "interrupted"]
    public var isFinished: Bool { Self.finishedStates.contains(state) }

    public init(id: String, kind: String, title: String, target: String?, params: String, createdBy: Int64?,
                retryOf: String? = nil, sealedSecret: String? = nil, uploadPath: String? = nil, hostID: Int64 = HostRecord.localID) {
        self.hostID = hostID
        self.id = id
        self.kind = kind
        state = "queued"
        self.title = title
        self.target = target
        self.params = params
        self.createdBy = createdBy
        createdAt = Timestamp.string()
        self.retryOf = retryOf
        cancelRequested = false
        self.sealedSecret = sealedSecret
        self.uploadPath = uploadPath
    }

    init(row: Row) {
        id = row["id"]
        kind = row["kind"]
        state = row["state"]
        title = row["title"]
        target = row["target"]
        params = row["params"]
        createdBy = row["created_by"]
        createdByName = row["username"]
        createdAt = row["created_at"]
        startedAt = row["started_at"]
        finishedAt = row["finished_at"]
        result = row["result"]
        error = row["error"]
        retryOf = row["retry_of"]
        cancelRequested = row["cancel_requested"]
        runnerPID = row["runner_pid"]
        sealedSecret = row["sealed_secret"]
        uploadPath = row["upload_path"]
        artifactPath = row["artifact_path"]
        artifactSize = row["artifact_size"]
        artifactExpiresAt = row["artifact_expires_at"]
        hostID = row["host_id"]
        hostName = row["host_name"]
    }
}

/// One progress row of a task; `seq` is the SSE event id.
public struct TaskProgressRecord: Sendable {
    public let seq: Int64
    public let at: String
    public let data: String
}

public struct TaskFilter: Sendable {
    public var state: String?
    public var kind: String?
    public var userID: Int64?
    public var target: String?
    public var hostID: Int64?
    public var page = 1
    public var pageSize = 50

    public init(state: String? = nil, kind: String? = nil, userID: Int64? = nil, target: String? = nil) {
        self.state = state
        self.kind = kind
        self.userID = userID
        self.target = target
    }
}

/// What a cancel request did.
public enum TaskCancelOutcome: Sendable {
    case canceled(TaskRecord)      // it was queued: it will never run
    case requested(TaskRecord)     // it is running: the runner aborts it
    case alreadyFinished(TaskRecord)
    case notFound
}

extension AppDatabase {
    private static let taskSelect = """
        SELECT tasks.*, users.username, hosts.name AS host_name FROM tasks
        LEFT JOIN users ON users.id = tasks.created_by LEFT JOIN hosts ON hosts.id = tasks.host_id
        """

    public func insertTask(_ task: TaskRecord) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO tasks (id, kind, state, title, target, params, created_by, created_at, retry_of, sealed_secret, upload_path, host_id)
                VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [task.id, task.kind, task.title, task.target, task.params, task.createdBy, task.createdAt,
                                 task.retryOf, task.sealedSecret, task.uploadPath, task.hostID])
        }
    }

    public func task(id: String) throws -> TaskRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: Self.taskSelect + " WHERE tasks.id = ?", arguments: [id]).map(TaskRecord.init(row:))
        }
    }

    /// Newest first, with the total for paging.
    public func tasks(_ filter: TaskFilter) throws -> (tasks: [TaskRecord], total: Int) {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let state = filter.state { clauses.append("tasks.state = ?"); arguments += [state] }
        if let kind = filter.kind { clauses.append("tasks.kind = ?"); arguments += [kind] }
        if let user = filter.userID { clauses.append("tasks.created_by = ?"); arguments += [user] }
        if let target = filter.target { clauses.append("tasks.target = ?"); arguments += [target] }
        if let host = filter.hostID { clauses.append("tasks.host_id = ?"); arguments += [host] }
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return try pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM tasks" + whereSQL, arguments: arguments) ?? 0
            var pageArguments = arguments
            pageArguments += [filter.pageSize, (filter.page - 1) * filter.pageSize]
            let rows = try Row.fetchAll(db, sql: Self.taskSelect + whereSQL + " ORDER BY tasks.created_at DESC, tasks.rowid DESC LIMIT ? OFFSET ?",
                                        arguments: pageArguments)
            return (rows.map(TaskRecord.init(row:)), total)
        }
    }

    /// Counts per state, for the task center's badges.
    public func taskStateCounts() throws -> [String: Int] {
        try pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM tasks GROUP BY state") {
                counts[row["state"]] = row["n"]
            }
            return counts
        }
    }

    /// Takes the oldest queued task whose target is not busy, if fewer than
    /// `maxRunning` tasks run. One write transaction: two runners never get the same task.
    public func claimNextTask(runnerPID: Int32, maxRunning: Int) throws -> TaskRecord? {
        // Runners ask often; a read answers "nothing queued" without taking the write lock.
        guard try hasQueuedTasks() else { return nil }
        return try pool.write { db in
            let running = try Int.fetchOne(db, sql: "SELECT count(*) FROM tasks WHERE state = 'running'") ?? 0
            guard running < maxRunning else { return nil }
            guard let id = try String.fetchOne(db, sql: """
                SELECT id FROM tasks q WHERE state = 'queued' AND (target IS NULL OR NOT EXISTS
                    (SELECT 1 FROM tasks r WHERE r.state = 'running' AND r.host_id = q.host_id AND r.target = q.target))
                ORDER BY created_at, rowid LIMIT 1
                """) else { return nil }
            try db.execute(sql: "UPDATE tasks SET state = 'running', started_at = ?, runner_pid = ? WHERE id = ?",
                           arguments: [Timestamp.string(), runnerPID, id])
            return try Row.fetchOne(db, sql: Self.taskSelect + " WHERE tasks.id = ?", arguments: [id]).map(TaskRecord.init(row:))
        }
    }

    public func hasQueuedTasks() throws -> Bool {
        // Asked ten times a second by every runner: a cached statement, not a compile each time.
        try pool.read { try Bool.fetchOne($0.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM tasks WHERE state = 'queued')")) } == true
    }

    /// Appends one progress row and returns its sequence number.
    @discardableResult
    public func appendTaskProgress(taskID: String, data: String) throws -> Int64 {
        try pool.write { db in
            let seq = (try Int64.fetchOne(db, sql: "SELECT max(seq) FROM task_progress WHERE task_id = ?", arguments: [taskID]) ?? 0) + 1
            try db.execute(sql: "INSERT INTO task_progress (task_id, seq, at, data) VALUES (?, ?, ?, ?)",
                           arguments: [taskID, seq, Timestamp.string(), data])
            return seq
        }
    }

    public func taskProgress(taskID: String, after seq: Int64 = 0, limit: Int = 1000) throws -> [TaskProgressRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, at, data FROM task_progress WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                             arguments: [taskID, seq, limit])
                .map { TaskProgressRecord(seq: $0["seq"], at: $0["at"], data: $0["data"]) }
        }
    }

    /// Ends a running task. Returns false if it was no longer running (already ended elsewhere).
    @discardableResult
    public func finishTask(id: String, state: String, result: String? = nil, error: String? = nil,
                           artifactPath: String? = nil, artifactSize: Int64? = nil, artifactExpiresAt: String? = nil) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE tasks SET state = ?, finished_at = ?, result = ?, error = ?, sealed_secret = NULL,
                    artifact_path = ?, artifact_size = ?, artifact_expires_at = ?
                WHERE id = ? AND state = 'running'
                """, arguments: [state, Timestamp.string(), result, error, artifactPath, artifactSize, artifactExpiresAt, id])
            return db.changesCount > 0
        }
    }

    public func requestTaskCancel(id: String) throws -> TaskCancelOutcome {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: Self.taskSelect + " WHERE tasks.id = ?", arguments: [id]) else { return .notFound }
            var task = TaskRecord(row: row)
            switch task.state {
            case "queued":
                try db.execute(sql: """
                    UPDATE tasks SET state = 'canceled', finished_at = ?, cancel_requested = 1, sealed_secret = NULL,
                        error = 'canceled before it started' WHERE id = ?
                    """, arguments: [Timestamp.string(), id])
                task.state = "canceled"
                task.cancelRequested = true
                return .canceled(task)
            case "running":
                try db.execute(sql: "UPDATE tasks SET cancel_requested = 1 WHERE id = ?", arguments: [id])
                task.cancelRequested = true
                return .requested(task)
            default:
                return .alreadyFinished(task)
            }
        }
    }

    /// The running tasks among `ids` whose cancel was requested.
    public func cancelRequests(among ids: [String]) throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT id FROM tasks WHERE cancel_requested = 1 AND id IN (\(ids.map { _ in "?" }.joined(separator: ",")))",
                                    arguments: StatementArguments(ids)))
        }
    }

    public func runningTasks() throws -> [TaskRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: Self.taskSelect + " WHERE tasks.state = 'running'").map(TaskRecord.init(row:))
        }
    }

    /// Marks tasks whose runner died `interrupted`; their uploads stay for a retry.
    public func markTasksInterrupted(ids: [String], reason: String) throws {
        guard !ids.isEmpty else { return }
        try pool.write { db in
            for id in ids {
                try db.execute(sql: """
                    UPDATE tasks SET state = 'interrupted', finished_at = ?, error = ?, sealed_secret = NULL
                    WHERE id = ? AND state = 'running'
                    """, arguments: [Timestamp.string(), reason, id])
            }
        }
    }

    public func clearTaskUpload(id: String) throws {
        try pool.write { db in try db.execute(sql: "UPDATE tasks SET upload_path = NULL WHERE id = ?", arguments: [id]) }
    }

    /// Upload files that some task may still need.
    public func referencedUploads() throws -> Set<String> {
        try pool.read { db in
            Set(try String.fetchAll(db, sql: """
                SELECT upload_path FROM tasks WHERE upload_path IS NOT NULL AND state IN ('queued', 'running', 'interrupted')
                """))
        }
    }

    /// Artifacts past their expiry: `(task id, path)`.
    public func expiredArtifacts(now: String = Timestamp.string()) throws -> [(String, String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, artifact_path FROM tasks WHERE artifact_path IS NOT NULL AND artifact_expires_at < ?",
                             arguments: [now]).map { ($0["id"], $0["artifact_path"]) }
        }
    }

    public func clearTaskArtifact(id: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE tasks SET artifact_path = NULL, artifact_size = NULL WHERE id = ?", arguments: [id])
        }
    }

    /// Artifact files some task still points at.
    public func referencedArtifacts() throws -> Set<String> {
        try pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT artifact_path FROM tasks WHERE artifact_path IS NOT NULL"))
        }
    }
}

/// A saved registry login (`registry_credentials`); the password stays sealed.
public struct RegistryCredentialRecord: Sendable {
    public let id: Int64
    public let registry: String
    public let username: String
    public let sealedPassword: String
    public let createdByName: String?
    public let createdAt: String
    public let updatedAt: String
}

extension AppDatabase {
    public func registryCredentials() throws -> [RegistryCredentialRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.*, u.username AS creator FROM registry_credentials c LEFT JOIN users u ON u.id = c.created_by ORDER BY c.registry
                """).map(Self.credential)
        }
    }

    public func registryCredential(registry: String) throws -> RegistryCredentialRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT c.*, u.username AS creator FROM registry_credentials c LEFT JOIN users u ON u.id = c.created_by WHERE c.registry = ?
                """, arguments: [registry]).map(Self.credential)
        }
    }

    /// Adds or replaces the login for a registry; returns its id.
    @discardableResult
    public func saveRegistryCredential(registry: String, username: String, sealedPassword: String, createdBy: Int64?) throws -> Int64 {
        try pool.write { db in
            let now = Timestamp.string()
            try db.execute(sql: """
                INSERT INTO registry_credentials (registry, username, sealed_password, created_by, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(registry) DO UPDATE SET username = excluded.username, sealed_password = excluded.sealed_password,
                    updated_at = excluded.updated_at
                """, arguments: [registry, username, sealedPassword, createdBy, now, now])
            return try Int64.fetchOne(db, sql: "SELECT id FROM registry_credentials WHERE registry = ?", arguments: [registry]) ?? 0
        }
    }

    public func deleteRegistryCredential(id: Int64) throws -> RegistryCredentialRecord? {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT c.*, NULL AS creator FROM registry_credentials c WHERE c.id = ?
                """, arguments: [id]) else { return nil }
            try db.execute(sql: "DELETE FROM registry_credentials WHERE id = ?", arguments: [id])
            return Self.credential(row)
        }
    }

    private static func credential(_ row: Row) -> RegistryCredentialRecord {
        RegistryCredentialRecord(id: row["id"], registry: row["registry"], username: row["username"],
                                 sealedPassword: row["sealed_password"], createdByName: row["creator"],
                                 createdAt: row["created_at"], updatedAt: row["updated_at"])
    }
}

/// Tasks of one kind in one state, with the seconds the finished ones ran.
public struct TaskFigures: Sendable {
    public let kind: String
    public let state: String
    public let count: Int
    public let runSeconds: Double
}

extension AppDatabase {
    /// Counts and run time by kind and state: what /metrics reports for tasks, whichever process ran them.
    public func taskFigures() throws -> [TaskFigures] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT kind, state, COUNT(*) AS count,
                       COALESCE(SUM((julianday(finished_at) - julianday(started_at)) * 86400), 0) AS seconds
                FROM tasks GROUP BY kind, state ORDER BY kind, state
                """).map { TaskFigures(kind: $0["kind"], state: $0["state"], count: $0["count"], runSeconds: $0["seconds"]) }
        }
    }
}
