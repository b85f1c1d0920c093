import Foundation
import JarvisStore
import Schedule

/// Jobs as requests see them: validate, store, enable, run now, read runs. Running them is `JobScheduler`'s work.
public final class JobService: Sendable {
    let database: AppDatabase
    let hosts: HostRegistry

    public init(database: AppDatabase, hosts: HostRegistry) {
        self.database = database
        self.hosts = hosts
    }

    /// Parses a trigger, with errors as 400s naming `trigger.<field>` (cron fields add the column).
    public static func trigger(_ spec: TriggerSpec, anchor: Int64 = 0, field prefix: String = "trigger") throws -> Trigger {
        do {
            return try spec.trigger(anchor: anchor)
        } catch {
            let cronFields: Set<String> = ["second", "minute", "hour", "day-of-month", "month", "day-of-week"]
            let field = cronFields.contains(error.field) ? "\(prefix).expression" : "\(prefix).\(error.field)"
            let at = error.position.map { " (at character \($0 + 1))" } ?? ""
            let message = cronFields.contains(error.field) || error.field == "expression" && error.position != nil
                ? "\(field): \(error.description)\(at)" : "\(field): \(error.reason)"
            throw JarvisError(400, "invalid_trigger", message).field(field)
        }
    }

    /// The next `count` fires of a trigger after `after`.
    public func preview(_ spec: TriggerSpec, count: Int = 5, after: Date = Date()) throws -> SchedulePreview {
        let trigger = try Self.trigger(spec, anchor: Int64(after.timeIntervalSince1970))
        let fires = trigger.nextFires(after: after, count: count)
        let local = ISO8601DateFormatter()
        local.timeZone = trigger.zone
        return SchedulePreview(timezone: trigger.zone.identifier, fires: fires.map { Timestamp.string($0) },
                               localFires: fires.map { local.string(from: $0) }, jitterSeconds: trigger.jitterSeconds)
    }

    public func list(page: Int, pageSize: Int) throws -> (jobs: [JobView], total: Int) {
        let (jobs, total) = try database.jobs(page: page, pageSize: pageSize)
        let last = try database.lastRuns(jobIDs: jobs.map(\.id))
        return (jobs.map { JobView($0, lastRun: last[$0.id]) }, total)
    }

    public func get(_ id: Int64) throws -> JobView {
        let job = try record(id)
        return JobView(job, lastRun: try database.lastRuns(jobIDs: [id])[id])
    }

    func record(_ id: Int64) throws -> JobRecord {
        guard let job = try database.job(id: id) else { throw JarvisError.notFound("no job \(id)") }
        return job
    }

    /// Checks a job body and builds its record (the next fire computed from now).
    private func build(_ input: JobInput, by principal: Principal, existing: JobRecord?) throws -> JobRecord {
        let name = input.name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(name.count), !name.contains(where: { $0.isNewline || $0 == "\0" }) else {
            throw JarvisError.invalidField("name", "1 to 100 characters on one line")
        }
        guard let kind = JobKind(rawValue: input.kind) else {
            throw JarvisError.invalidField("kind", "\(input.kind.prefix(64)) is not one of \(JobKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try require(kind, principal)
        let params = input.params ?? JobParams()
        try kind.validate(params)
        let host = try hosts.services(named: input.host)
        let created = existing.flatMap { Timestamp.date($0.createdAt) } ?? Date()
        let trigger = try Self.trigger(input.trigger, anchor: Int64(created.timeIntervalSince1970))
        let missed = input.missedPolicy ?? "skip"
        guard ["skip", "run_once"].contains(missed) else { throw JarvisError.invalidField("missed_policy", "skip or run_once") }
        let overlap = input.overlap ?? "skip"
        guard ["skip", "queue", "allow"].contains(overlap) else { throw JarvisError.invalidField("overlap", "skip, queue or allow") }
        let retries = input.retries ?? JobRetries()
        guard (0...100).contains(retries.count) else { throw JarvisError.invalidField("retries.count", "0 to 100") }
        guard (0...86400).contains(retries.delaySeconds) else { throw JarvisError.invalidField("retries.delay_seconds", "0 to 86400") }
        guard retries.backoff.isFinite, (1...10).contains(retries.backoff) else { throw JarvisError.invalidField("retries.backoff", "1 to 10") }
        guard (0...604800).contains(retries.maxDelaySeconds) else { throw JarvisError.invalidField("retries.max_delay_seconds", "0 to 604800") }
        if let timeout = input.timeoutSeconds, !(1...86400).contains(timeout) { throw JarvisError.invalidField("timeout_seconds", "1 to 86400") }
        if let cap = input.maxConcurrent, !(1...1000).contains(cap) { throw JarvisError.invalidField("max_concurrent", "1 to 1000") }
        if input.maxConcurrent != nil && overlap != "allow" {
            throw JarvisError.invalidField("max_concurrent", "only with overlap allow (skip and queue run one at a time)")
        }
        var job = existing ?? JobRecord(name: name, kind: kind.rawValue, hostID: host.record.id, trigger: "", params: "", createdBy: principal.userID)
        job.name = name; job.kind = kind.rawValue; job.hostID = host.record.id
        job.trigger = jsonText(input.trigger); job.params = jsonText(params)
        job.enabled = input.enabled ?? true
        job.missedPolicy = missed; job.overlap = overlap
        job.retryCount = retries.count; job.retryDelaySeconds = retries.delaySeconds; job.retryBackoff = retries.backoff
        job.retryMaxDelaySeconds = retries.maxDelaySeconds
        job.timeoutSeconds = input.timeoutSeconds; job.maxConcurrent = input.maxConcurrent
        job.nextFireAt = trigger.nextFire(after: Date()).map { Timestamp.string($0) }
        return job
    }

    private func require(_ kind: JobKind, _ principal: Principal) throws {
        guard principal.role >= kind.requiredRole else {
            throw JarvisError(403, "forbidden", "\(kind.rawValue) jobs run without a per-run confirmation: only an admin may create, change or run them")
        }
    }

    public func create(_ input: JobInput, by principal: Principal) throws -> JobView {
        let job = try build(input, by: principal, existing: nil)
        do {
            return JobView(try database.insertJob(job), lastRun: nil)
        } catch let error as JobNameTaken {
            throw JarvisError(409, "job_exists", "a job named \(error.name) exists").field("name")
        }
    }

    public func update(_ id: Int64, _ input: JobInput, by principal: Principal) throws -> JobView {
        let old = try record(id)
        if let kind = JobKind(rawValue: old.kind) { try require(kind, principal) }
        let job = try build(input, by: principal, existing: old)
        do {
            guard try database.updateJob(job) else { throw JarvisError.notFound("no job \(id)") }
        } catch let error as JobNameTaken {
            throw JarvisError(409, "job_exists", "a job named \(error.name) exists").field("name")
        }
        return try get(id)
    }

    public func delete(_ id: Int64, by principal: Principal) throws -> JobRecord {
        let job = try record(id)
        if let kind = JobKind(rawValue: job.kind) { try require(kind, principal) }
        guard let deleted = try database.deleteJob(id: id) else { throw JarvisError.notFound("no job \(id)") }
        return deleted
    }

    /// Enabling starts counting from now: fires missed while disabled are not made up.
    public func setEnabled(_ id: Int64, _ enabled: Bool, by principal: Principal) throws -> JobView {
        var job = try record(id)
        if let kind = JobKind(rawValue: job.kind) { try require(kind, principal) }
        job.enabled = enabled
        if enabled, let spec = try? JobJSON.snakeDecoder.decode(TriggerSpec.self, from: Data(job.trigger.utf8)) {
            job.nextFireAt = try Self.trigger(spec, anchor: Int64((Timestamp.date(job.createdAt) ?? Date()).timeIntervalSince1970))
                .nextFire(after: Date()).map { Timestamp.string($0) }
        }
        _ = try database.updateJob(job)
        return try get(id)
    }

    /// Queues a run now (whatever the overlap policy: an explicit request is never skipped).
    public func runNow(_ id: Int64, by principal: Principal) throws -> JobRunView {
        let job = try record(id)
        if let kind = JobKind(rawValue: job.kind) { try require(kind, principal) }
        let run = try database.queueRun(JobRunRecord(jobID: job.id, trigger: "manual", triggeredBy: principal.userID,
                                                     triggeredByName: principal.username))
        return JobRunView(run)
    }

    public func runs(_ jobID: Int64, state: String?, page: Int, pageSize: Int) throws -> (runs: [JobRunView], total: Int) {
        _ = try record(jobID)
        if let state, !(JobRunRecord.finishedStates.contains(state) || ["queued", "running"].contains(state)) {
            throw JarvisError.invalidField("state", "unknown run state \(state.prefix(40))")
        }
        let (runs, total) = try database.jobRuns(jobID: jobID, state: state, page: page, pageSize: pageSize)
        return (runs.map(JobRunView.init), total)
    }

    public func run(_ id: Int64) throws -> JobRunView {
        guard let run = try database.jobRun(id: id) else { throw JarvisError.notFound("no job run \(id)") }
        return JobRunView(run)
    }
}

/// Coders for stored JSON written by `jsonText` (snake-case keys).
enum JobJSON {
    static let snakeDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}
