import DockerEngine
import Foundation
import JarvisStore
import Logging
import Schedule

/// The one scheduler loop (jarvis-sse), or one pass of it (`jarvisctl schedule tick`). It turns due fires into
/// queued runs (once across processes: `takeFire` moves the job's next fire in a transaction), claims queued runs
/// under the global cap and runs them, with timeouts and retries.
public final class JobScheduler: @unchecked Sendable {
    private let database: AppDatabase
    private let hosts: HostRegistry
    private let executor: JobExecutor
    private let cap: Int
    private let logger: Logger
    private let alerts: JobAlerts
    private let lock = NSLock()
    private var running: [Int64: Task<Void, Never>] = [:]
    private var woken = false
    /// A fire more than this late was missed (Jarvis was down): the job's missed-fire policy decides.
    public static let missedAfter: TimeInterval = 90

    public init(environment: JarvisEnvironment, logger: Logger) {
        database = environment.database
        hosts = environment.hosts
        executor = JobExecutor(database: environment.database, tasks: environment.tasks,
                               backups: BackupRotation(folder: environment.config.backupDir, keep: environment.config.backupKeep))
        cap = environment.config.jobConcurrency
        alerts = JobAlerts(database: environment.database, notifier: environment.notifier)
        self.logger = logger
    }

    /// Runs until cancelled: sleeps until the next fire or queued run is due, and wakes within half a second
    /// when jarvis-fcgi changes a job (it bumps a counter in the store) or a run here ends.
    public func run() async {
        recover()
        var changes = (try? database.jobChanges()) ?? 0
        while !Task.isCancelled {
            pass(now: Date())
            var wake = (try? database.nextJobWake()) ?? Date().addingTimeInterval(3600)
            // Due but not claimable (a run waits on its job's running one, or on the cap): a run ending here wakes us.
            if wake <= Date() { wake = Date().addingTimeInterval(5) }
            while !Task.isCancelled, Date() < wake {
                try? await Task.sleep(nanoseconds: UInt64(min(0.5, max(wake.timeIntervalSinceNow, 0.01)) * 1e9))
                let now = (try? database.jobChanges()) ?? changes
                if now != changes || lock.withLock({ woken }) { changes = now; break }
            }
            lock.withLock { woken = false }
        }
        for work in lock.withLock({ Array(running.values) }) { work.cancel() }
    }

    /// One pass without the loop: fires what is due, runs it and the queued runs due now, and returns when they
    /// have ended (retries due later wait for the next tick). `driveTasks` runs the task queue meanwhile.
    public func tick(driveTasks: @escaping @Sendable () async -> Void) async -> (fired: Int, ran: Int) {
        recover()
        let fired = fireDue(now: Date())
        let driver = Task { while !Task.isCancelled { await driveTasks(); try? await Task.sleep(nanoseconds: 200_000_000) } }
        var ran = 0
        while true {
            ran += startDue(now: Date())
            let busy = lock.withLock { running.count }
            if busy == 0 { break }
            try? await Task.sleep(nanoseconds: 200_000_000)
        }
        driver.cancel()
        return (fired, ran)
    }

    private func recover() {
        do {
            let me = getpid()
            let count = try database.recoverOrphanRuns { pid in pid != me && (kill(pid, 0) == 0 || errno != ESRCH) }
            if count > 0 { logger.warning("job runs interrupted", metadata: ["count": "\(count)"]) }
        } catch {
            logger.error("job run recovery failed", metadata: ["error": "\(error)"])
        }
    }

    private func pass(now: Date) {
        fireDue(now: now)
        startDue(now: now)
    }

    /// Turns every due fire into a run (or a skipped row); returns how many fires were taken.
    @discardableResult
    func fireDue(now: Date) -> Int {
        var taken = 0
        do {
            for job in try database.dueJobs(now: now) {
                if fire(job, now: now) { taken += 1 }
            }
        } catch {
            logger.error("scheduler pass failed", metadata: ["error": "\(error)"])
        }
        return taken
    }

    private func fire(_ job: JobRecord, now: Date) -> Bool {
        guard let expected = job.nextFireAt, let first = Timestamp.date(expected) else { return false }
        let trigger: Trigger
        do {
            let spec = try JobJSON.snakeDecoder.decode(TriggerSpec.self, from: Data(job.trigger.utf8))
            trigger = try spec.trigger(anchor: Int64((Timestamp.date(job.createdAt) ?? now).timeIntervalSince1970))
        } catch {
            logger.error("job trigger unreadable; job not fired", metadata: ["job": "\(job.id)", "error": "\(error)"])
            _ = try? database.takeFire(jobID: job.id, expected: expected, next: nil, fired: expected, run: nil, overlap: job.overlap)
            return false
        }
        // Every fire due by now collapses into one run, for the newest of them.
        var latest = first, missed = 1
        while missed < 100_000, let next = trigger.nextFire(after: latest), next <= now { latest = next; missed += 1 }
        let next = trigger.nextFire(after: max(now, latest)).map { Timestamp.string($0) }
        let fired = Timestamp.string(latest)
        let late = now.timeIntervalSince(latest) > Self.missedAfter
        var run = JobRunRecord(jobID: job.id, trigger: "schedule", scheduledFor: fired,
                               notBefore: latest.addingTimeInterval(trigger.jitter(seed: job.id, fire: latest)))
        var skippedResult: String?
        if late && job.missedPolicy == "skip" {
            run.state = "skipped"
            skippedResult = #"{"reason":"missed","missed":\#(missed)}"#
        }
        do {
            let outcome = try database.takeFire(jobID: job.id, expected: expected, next: next, fired: fired, run: run,
                                                overlap: job.overlap, skippedResult: skippedResult)
            if case .alreadyTaken = outcome { return false }
            logger.debug("job fired", metadata: ["job": "\(job.id)", "outcome": "\(outcome)"])
            return true
        } catch {
            logger.error("job fire not stored", metadata: ["job": "\(job.id)", "error": "\(error)"])
            return false
        }
    }

    /// Claims queued runs that are due and starts them; returns how many started.
    @discardableResult
    func startDue(now: Date) -> Int {
        do {
            let claimed = try database.claimDueRuns(now: now, globalCap: cap, runnerPID: getpid())
            for run in claimed { start(run) }
            return claimed.count
        } catch {
            logger.error("job runs not claimed", metadata: ["error": "\(error)"])
            return 0
        }
    }

    private func start(_ run: JobRunRecord) {
        lock.withLock {
            running[run.id] = Task.detached { [self] in
                await execute(run)
                lock.withLock { _ = running.removeValue(forKey: run.id); woken = true }
            }
        }
    }

    private func execute(_ run: JobRunRecord) async {
        guard let job = try? database.job(id: run.jobID) else {
            try? database.finishRun(id: run.id, state: "canceled", result: nil, error: "the job was deleted")
            return
        }
        var state = "succeeded", error: String?, outcome: JobOutcome?
        do {
            guard let kind = JobKind(rawValue: job.kind) else { throw JobFailure("unknown job kind \(job.kind)") }
            let params = try JobJSON.snakeDecoder.decode(JobParams.self, from: Data(job.params.utf8))
            let principal = try actor(job, kind)
            let host = try hosts.services(id: job.hostID)
            try host.requireOnline()
            let work: @Sendable () async throws -> JobOutcome = { [executor] in
                try await HostAccess.acting(as: EngineActor(principal)) {
                    try await executor.run(kind, params: params, host: host, as: principal, runID: run.id)
                }
            }
            outcome = try await Self.within(job.timeoutSeconds, work)
        } catch is JobTimeout {
            state = "timed_out"; error = "timed out after \(job.timeoutSeconds ?? 0) s"
        } catch let failure {
            state = "failed"; error = Self.describe(failure)
        }
        var retry: JobRunRecord?
        if state != "succeeded" && run.attempt <= job.retryCount {
            let retries = JobRetries(count: job.retryCount, delaySeconds: job.retryDelaySeconds, backoff: job.retryBackoff,
                                     maxDelaySeconds: job.retryMaxDelaySeconds)
            retry = JobRunRecord(jobID: job.id, attempt: run.attempt + 1, trigger: "retry", retryOf: run.id, scheduledFor: run.scheduledFor,
                                 notBefore: Date().addingTimeInterval(retries.delay(after: run.attempt)))
            state = "retrying"
        }
        do {
            try database.finishRun(id: run.id, state: state, exitCode: outcome?.exitCode, result: outcome?.result, error: error, retry: retry)
        } catch {
            logger.error("job run end not stored", metadata: ["run": "\(run.id)", "error": "\(error)"])
        }
        alerts.runEnded(job: job, run: run, state: state, exitCode: outcome?.exitCode, error: error)
        logger.info("job run ended", metadata: ["job": "\(job.id)", "run": "\(run.id)", "attempt": "\(run.attempt)", "state": "\(state)"])
    }

    /// A run acts as the job's creator with that user's role now (as tasks do): a demoted or disabled creator stops the job.
    private func actor(_ job: JobRecord, _ kind: JobKind) throws -> Principal {
        guard let id = job.createdBy, let user = try database.user(id: id) else {
            throw JobFailure("the user who created this job no longer exists; it was not run")
        }
        guard !user.disabled else { throw JobFailure("user \(user.username) is disabled; the job was not run") }
        let role = Role(rawValue: user.role) ?? .viewer
        guard role >= kind.requiredRole else { throw JobFailure("user \(user.username) is now a \(role.rawValue); the job was not run") }
        return Principal(userID: id, username: user.username, role: role, sessionID: "job-\(job.id)", csrf: nil, viaCookie: false)
    }

    /// Runs `work`, cancelling it after `seconds` (cancellation closes its engine transfer or cancels its task).
    static func within(_ seconds: Int?, _ work: @escaping @Sendable () async throws -> JobOutcome) async throws -> JobOutcome {
        guard let seconds else { return try await work() }
        return try await withThrowingTaskGroup(of: JobOutcome?.self) { group in
            group.addTask { try await work() }
            group.addTask { try await Task.sleep(nanoseconds: UInt64(seconds) * 1_000_000_000); return nil }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let outcome = first else { throw JobTimeout() }
            return outcome
        }
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case let error as JobFailure: return error.description
        case let error as JarvisError: return error.message
        case let error as EngineError: return error.message
        default: return "\(error)"
        }
    }
}

struct JobTimeout: Error {}
