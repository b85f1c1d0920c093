import Foundation
import JarvisStore

/// Names of the kinds of task; each has an executor in `TaskExecutors`.
public enum TaskKind {
    public static let imagePull = "image.pull"
    public static let imageBuild = "image.build"
    public static let imageLoad = "image.load"
    public static let imageSave = "image.save"
}

/// A task as the API shows it; params and result are the stored JSON, never secrets.
public struct TaskView: Encodable, Sendable {
    public let id: String
    public let kind: String
    public let state: String
    public let title: String
    public let target: String?
    public let params: JSONValue
    public let createdBy: String?
    public let createdAt: String
    public let startedAt: String?
    public let finishedAt: String?
    public let result: JSONValue?
    public let error: String?
    public let retryOf: String?
    public let cancelRequested: Bool
    public let artifact: Artifact?
    /// The host the task acts on.
    public let host: String?

    public struct Artifact: Encodable, Sendable {
        public let size: Int64
        public let expiresAt: String?
        public let url: String
    }

    public init(_ task: TaskRecord) {
        id = task.id
        kind = task.kind
        state = task.state
        title = task.title
        target = task.target
        params = JSONValue.parse(task.params) ?? .object([:])
        createdBy = task.createdByName
        createdAt = task.createdAt
        startedAt = task.startedAt
        finishedAt = task.finishedAt
        result = task.result.flatMap(JSONValue.parse)
        error = task.error
        retryOf = task.retryOf
        cancelRequested = task.cancelRequested
        host = task.hostName
        artifact = task.artifactPath.map { _ in
            Artifact(size: task.artifactSize ?? 0, expiresAt: task.artifactExpiresAt, url: "/api/v1/tasks/\(task.id)/artifact")
        }
    }
}

/// The task center as requests see it: enqueue, list, cancel, retry. Running
/// tasks is `TaskRunner`'s job, in another process.
public final class TaskService: Sendable {
    let database: AppDatabase
    public let dataDir: String

    public init(database: AppDatabase, dataDir: String) {
        self.database = database
        self.dataDir = dataDir
    }

    public var uploadsDir: String { dataDir + "/uploads" }
    public var artifactsDir: String { dataDir + "/artifacts" }

    /// Queues a task; the runner picks it up within a second.
    public func enqueue<Params: Encodable>(kind: String, title: String, target: String?, params: Params, by principal: Principal,
                                           sealedSecret: String? = nil, upload: String? = nil, retryOf: String? = nil,
                                           host: Int64) throws -> TaskRecord {
        let task = TaskRecord(id: Self.newID(), kind: kind, title: title, target: target, params: jsonText(params), createdBy: principal.userID,
                              retryOf: retryOf, sealedSecret: sealedSecret, uploadPath: upload, hostID: host)
        try database.insertTask(task)
        return try get(task.id)
    }

    public func get(_ id: String) throws -> TaskRecord {
        guard Self.isValidID(id), let task = try database.task(id: id) else { throw JarvisError.notFound("no task \(id.prefix(64))") }
        return task
    }

    public func list(_ filter: TaskFilter) throws -> (tasks: [TaskRecord], total: Int) {
        if let state = filter.state, !(TaskRecord.finishedStates.contains(state) || ["queued", "running"].contains(state)) {
            throw JarvisError.invalidField("state", "unknown task state \(state.prefix(40))")
        }
        return try database.tasks(filter)
    }

    public func counts() throws -> [String: Int] { try database.taskStateCounts() }

    public func progress(_ id: String, after seq: Int64, limit: Int = 1000) throws -> [TaskProgressRecord] {
        try database.taskProgress(taskID: id, after: seq, limit: limit)
    }

    /// Cancels a queued task at once (and drops its upload), or asks the runner to abort a running one.
    public func cancel(_ id: String) throws -> TaskRecord {
        switch try database.requestTaskCancel(id: Self.isValidID(id) ? id : "") {
        case .notFound: throw JarvisError.notFound("no task \(id.prefix(64))")
        case let .alreadyFinished(task): throw JarvisError(409, "task_finished", "task \(task.id) already ended (\(task.state))")
        case let .canceled(task):
            _ = try? database.appendTaskProgress(taskID: task.id, data: TaskEvent.state("canceled", error: "canceled before it started").json)
            if let upload = task.uploadPath { removeUpload(upload, of: task.id) }
            return try get(task.id)
        case let .requested(task):
            return task
        }
    }

    /// A new task with the same kind and parameters, linked to the old one.
    public func retry(_ id: String, by principal: Principal) throws -> TaskRecord {
        let old = try get(id)
        guard ["failed", "canceled", "interrupted"].contains(old.state) else {
            throw JarvisError(409, "task_not_retryable", "only failed, canceled or interrupted tasks can be retried; this one is \(old.state)")
        }
        let needsUpload = [TaskKind.imageLoad, TaskKind.imageBuild].contains(old.kind) && JSONValue.parse(old.params)?["remote"] == nil
        if needsUpload && (old.uploadPath == nil || !FileManager.default.fileExists(atPath: old.uploadPath!)) {
            throw JarvisError(409, "upload_gone", "the uploaded file of task \(old.id) was removed when it ended; upload it again")
        }
        if old.kind == TaskKind.imageBuild, JSONValue.parse(old.params)?["sealed_inputs"] == .bool(true) {
            throw JarvisError(409, "credentials_gone",
                              "the Git credentials or secret build arguments of task \(old.id) were not kept; start a new build")
        }
        if old.kind == TaskKind.imagePull, JSONValue.parse(old.params)?["one_time_auth"] == .bool(true) {
            throw JarvisError(409, "credentials_gone",
                              "the one-time registry password of task \(old.id) was not kept; start a new pull (or save the credential)")
        }
        // The retry owns the interrupted task's upload from its first moment: the runner may claim it at once.
        let task = TaskRecord(id: Self.newID(), kind: old.kind, title: old.title, target: old.target, params: old.params,
                              createdBy: principal.userID, retryOf: old.id, uploadPath: needsUpload ? old.uploadPath : nil,
                              hostID: old.hostID)
        try database.insertTask(task)
        if needsUpload { try database.clearTaskUpload(id: old.id) }
        return try get(task.id)
    }

    /// The saved archive of a finished save task.
    public func artifact(_ id: String) throws -> (path: String, size: Int64, filename: String) {
        let task = try get(id)
        guard let path = task.artifactPath, FileManager.default.fileExists(atPath: path) else {
            throw JarvisError(404, "no_artifact", task.state == "succeeded" && task.kind == TaskKind.imageSave
                              ? "the archive of task \(task.id) expired and was removed" : "task \(task.id) has no file to download")
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int64) ?? task.artifactSize ?? 0
        return (path, size, JSONValue.parse(task.result ?? "")?["filename"]?.string ?? "images.tar")
    }

    func removeUpload(_ path: String, of taskID: String) {
        guard path.hasPrefix(uploadsDir + "/") else { return }
        unlink(path)
        try? database.clearTaskUpload(id: taskID)
    }

    /// 128 random bits as 32 hex digits: ids are not guessable.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func isValidID(_ id: String) -> Bool {
        id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
