import DockerEngine
import Foundation
import Metrics
import JarvisStore
import Logging

/// Claims queued tasks and runs them: in jarvis-sse for good, or once from
/// `jarvisctl tasks run-pending` (cron on a shared host). Claims are
/// transactions, so several runners never take one task.
public final class TaskRunner: @unchecked Sendable {
    /// Bumped on every progress row: task event streams wait on it instead of polling hard.
    public let changes = Watermark()
    private let database: AppDatabase
    private let hosts: HostRegistry
    private let secrets: SecretBox
    private let audit: AuditService
    private let tasks: TaskService
    private let concurrency: Int
    private let artifactTTL: TimeInterval
    private let logger: Logger
    private let executors: [String: any TaskExecutor]
    private let lock = NSLock()
    private var running: [String: (work: Task<Void, Never>, context: TaskContext)] = [:]
    private var lastSweep = Date.distantPast

    public init(environment: JarvisEnvironment, logger: Logger) throws {
        database = environment.database
        hosts = environment.hosts
        secrets = try SecretBox.load(dataDir: environment.config.dataDir)
        audit = environment.audit
        tasks = environment.tasks
        concurrency = environment.config.taskConcurrency
        artifactTTL = TimeInterval(environment.config.artifactTTLHours * 3600)
        self.logger = logger
        executors = ImageTaskExecutors.all(artifactsDir: environment.tasks.artifactsDir).merging(StackExecutor.all()) { image, _ in image }
            .merging(UpdateExecutors.all(config: environment.config)) { earlier, _ in earlier }
    }

    /// Tasks left `running` by a runner that is gone become `interrupted` (their uploads stay, for a retry).
    @discardableResult
    public func recoverOrphans() throws -> Int {
        let me = getpid()
        let orphans = try database.runningTasks().filter { task in
            guard let pid = task.runnerPID, pid != me else { return true }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
        try database.markTasksInterrupted(ids: orphans.map(\.id), reason: "the task runner stopped while this task ran; retry it")
        for task in orphans {
            _ = try? database.appendTaskProgress(taskID: task.id, data: TaskEvent.state("interrupted", error: "the task runner stopped").json)
            logger.warning("task interrupted", metadata: ["task": "\(task.id)", "kind": "\(task.kind)"])
        }
        return orphans.count
    }

    /// Runs forever: claims (a queued task starts within 0.1 s), watches cancel requests, sweeps expired files.
    public func run() async {
        do { try recoverOrphans() } catch { logger.error("task recovery failed", metadata: ["error": "\(error)"]) }
        while !Task.isCancelled {
            tick()
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        for entry in lock.withLock({ Array(running.values) }) { entry.work.cancel() }
    }

    /// Runs every task that is queued now (and those they make room for), then returns how many ran.
    public func runPending() async -> Int {
        do { try recoverOrphans() } catch { logger.error("task recovery failed", metadata: ["error": "\(error)"]) }
        var started = 0
        while true {
            started += tick()
            let busy = lock.withLock { running.count }
            // Tasks waiting behind a same-target one are still queued: stop only when none is left.
            if busy == 0 && (try? database.hasQueuedTasks()) != true { break }
            try? await Task.sleep(nanoseconds: 200_000_000)
        }
        return started
    }

    @discardableResult
    private func tick() -> Int {
        var started = 0
        do {
            while lock.withLock({ running.count }) < concurrency,
                  let task = try database.claimNextTask(runnerPID: getpid(), maxRunning: concurrency) {
                start(task)
                started += 1
            }
            let ids = lock.withLock { Array(running.keys) }
            for id in try database.cancelRequests(among: ids) {
                guard let entry = lock.withLock({ running[id] }), !entry.context.cancelRequested else { continue }
                entry.context.cancelRequested = true
                entry.work.cancel()
                logger.info("task cancel requested", metadata: ["task": "\(id)"])
            }
            if Date().timeIntervalSince(lastSweep) > 60 {
                lastSweep = Date()
                sweepFiles()
            }
        } catch {
            logger.error("task runner tick failed", metadata: ["error": "\(error)"])
        }
        return started
    }

    private func start(_ task: TaskRecord) {
        let host: HostServices
        do {
            host = try hosts.services(id: task.hostID)
        } catch {
            fail(task, because: "host \(task.hostID) is gone: \(Self.describe(error))")
            return
        }
        let context = TaskContext(task: task, host: host, database: database, secrets: secrets, changes: changes, dataDir: tasks.dataDir)
        lock.withLock {
            let work = Task.detached { [self] in
                await execute(context)
                lock.withLock { _ = running.removeValue(forKey: task.id) }
            }
            running[task.id] = (work, context)
        }
    }

    private func execute(_ context: TaskContext) async {
        let task = context.task
        logger.info("task started", metadata: ["task": "\(task.id)", "kind": "\(task.kind)"])
        await context.emit(.state("running"))
        let started = Date()
        var state = "succeeded"
        var message: String?
        var outcome: TaskOutcome?
        do {
            guard let executor = executors[task.kind] else { throw TaskFailure("no executor for task kind \(task.kind)") }
            try context.host.requireOnline()
            let actor = try actor(for: task, on: context.host)
            outcome = try await HostAccess.acting(as: actor) { try await executor.run(context) }
        } catch {
            if context.cancelRequested {
                state = "canceled"
                message = "canceled by an operator"
            } else {
                state = "failed"
                message = Self.describe(error)
                if let failure = error as? TaskFailure, let result = failure.result { outcome = TaskOutcome(raw: result) }
            }
        }
        var expires: String?
        if outcome?.artifact != nil { expires = Timestamp.string(Date().addingTimeInterval(artifactTTL)) }
        // The last progress row goes first: a stream that sees the task finished has every row.
        await context.emit(.state(state, error: message))
        do {
            try database.finishTask(id: task.id, state: state, result: outcome?.result, error: message,
                                    artifactPath: outcome?.artifact?.path, artifactSize: outcome?.artifact?.size, artifactExpiresAt: expires)
        } catch {
            logger.error("task finish not stored", metadata: ["task": "\(task.id)", "error": "\(error)"])
        }
        await changes.bump()
        if let upload = task.uploadPath { tasks.removeUpload(upload, of: task.id) }
        let creator = try? task.createdBy.flatMap { try database.user(id: $0) }
        audit.record(AuditEvent(action: "task.\(state)", resourceType: "task", resourceID: task.id, resourceName: task.title,
                                params: ["kind": task.kind]),
                     by: nil, username: creator?.username,
                     facts: RequestFacts(requestID: "task-\(task.id)", ip: nil, userAgent: "jarvis task runner"),
                     error: state == "succeeded" ? nil : JarvisError(500, "task_\(state)", message ?? state))
        if state == "failed" {
            Notifier(database: database, logger: logger).emit(.taskFailed, target: task.title, summary: "\(task.title) failed: \(message ?? "")",
                                                              host: (task.hostID, context.host.name),
                                                              fields: ["task": task.id, "task_kind": task.kind, "error": message ?? "",
                                                                       "by": creator?.username ?? ""])
        }
        Timer(label: "jarvis_task_duration_seconds", dimensions: [("kind", task.kind), ("state", state)], preferredDisplayUnit: .seconds)
            .recordSeconds(Date().timeIntervalSince(started))
        logger.info("task ended", metadata: ["task": "\(task.id)", "kind": "\(task.kind)", "state": "\(state)",
                                              "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))"])
    }

    /// A task acts as the user who queued (or retried) it, with that user's role now, not when it was queued.
    private func actor(for task: TaskRecord, on host: HostServices) throws -> EngineActor {
        guard let id = task.createdBy, let user = try database.user(id: id) else {
            throw TaskFailure("the user who queued this task no longer exists; it was not run")
        }
        guard !user.disabled else { throw TaskFailure("user \(user.username) is disabled; the task was not run") }
        let role = Role(rawValue: user.role) ?? .viewer
        guard role >= .operator_ else { throw TaskFailure("user \(user.username) is now a \(role.rawValue); the task was not run") }
        let actor = EngineActor(userID: id, username: user.username, role: role)
        // A stack's binds may come from its folder in the stacks folder, found by name: never a path stored with the task.
        guard task.kind.hasPrefix("stack."), let name = JSONValue.parse(task.params)?["stack"]?.string else { return actor }
        return actor.inStack(folder: try host.stacks.folder.folder(name), generated: host.stacks.generatedRoot + "/" + name)
    }

    /// A claimed task that cannot start (its host was deleted) ends at once, with the reason.
    private func fail(_ task: TaskRecord, because reason: String) {
        _ = try? database.appendTaskProgress(taskID: task.id, data: TaskEvent.state("failed", error: reason).json)
        _ = try? database.finishTask(id: task.id, state: "failed", error: reason)
        logger.warning("task failed before it started", metadata: ["task": "\(task.id)", "error": "\(reason)"])
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case let error as TaskFailure: return error.description
        case let error as EngineError: return error.message
        case let error as JarvisError: return error.message
        default: return "\(error)"
        }
    }

    /// Removes expired artifacts, and uploads or artifacts no task refers to any more.
    private func sweepFiles() {
        do {
            for (id, path) in try database.expiredArtifacts() {
                unlink(path)
                try database.clearTaskArtifact(id: id)
                logger.info("artifact expired", metadata: ["task": "\(id)"])
            }
            let busy = lock.withLock { Set(running.keys) }
            let keptUploads = try database.referencedUploads()
            let keptArtifacts = try database.referencedArtifacts()
            for (dir, kept) in [(tasks.uploadsDir, keptUploads), (tasks.artifactsDir, keptArtifacts)] {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                    let path = dir + "/" + name
                    let owner = String(name.prefix(32))
                    guard !kept.contains(path), !busy.contains(owner) else { continue }
                    // A file still being written by an upload in progress is recent: leave it for ten minutes.
                    let modified = ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? Date()
                    if Date().timeIntervalSince(modified) > 600 { unlink(path) }
                }
            }
        } catch {
            logger.error("task file sweep failed", metadata: ["error": "\(error)"])
        }
    }
}
