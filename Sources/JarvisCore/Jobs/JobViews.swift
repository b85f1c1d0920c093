import Foundation
import JarvisStore
import Schedule

/// Retry settings: `count` more attempts after a failure, waiting `delay_seconds × backoff^(n−1)`, at most `max_delay_seconds`.
public struct JobRetries: Codable, Sendable, Equatable {
    public var count: Int
    public var delaySeconds: Int
    public var backoff: Double
    public var maxDelaySeconds: Int

    public init(count: Int = 0, delaySeconds: Int = 30, backoff: Double = 2, maxDelaySeconds: Int = 3600) {
        self.count = count; self.delaySeconds = delaySeconds; self.backoff = backoff; self.maxDelaySeconds = maxDelaySeconds
    }

    /// The wait before attempt `attempt + 1`.
    public func delay(after attempt: Int) -> TimeInterval {
        min(Double(delaySeconds) * pow(backoff, Double(max(attempt - 1, 0))), Double(maxDelaySeconds))
    }
}

/// A job as the API reads and writes it (PUT sends the whole job again).
public struct JobInput: Decodable, Sendable {
    public var name: String
    public var kind: String
    public var host: String?
    public var trigger: TriggerSpec
    public var enabled: Bool?
    public var missedPolicy: String?
    public var overlap: String?
    public var retries: JobRetries?
    public var timeoutSeconds: Int?
    public var maxConcurrent: Int?
    public var params: JobParams?
}

/// A job as the API shows it.
public struct JobView: Encodable, Sendable {
    public let id: Int64
    public let name: String
    public let kind: String
    public let host: String?
    public let trigger: JSONValue
    public let enabled: Bool
    public let missedPolicy: String
    public let overlap: String
    public let retries: JobRetries
    public let timeoutSeconds: Int?
    public let maxConcurrent: Int?
    public let params: JSONValue
    public let createdBy: String?
    public let createdAt: String
    public let updatedAt: String
    public let nextFireAt: String?
    public let lastRun: JobRunView?

    init(_ job: JobRecord, lastRun: JobRunRecord?) {
        id = job.id; name = job.name; kind = job.kind; host = job.hostName
        trigger = JSONValue.parse(job.trigger) ?? .object([:])
        enabled = job.enabled; missedPolicy = job.missedPolicy; overlap = job.overlap
        retries = JobRetries(count: job.retryCount, delaySeconds: job.retryDelaySeconds, backoff: job.retryBackoff,
                             maxDelaySeconds: job.retryMaxDelaySeconds)
        timeoutSeconds = job.timeoutSeconds; maxConcurrent = job.maxConcurrent
        params = JSONValue.parse(job.params) ?? .object([:])
        createdBy = job.createdByName; createdAt = job.createdAt; updatedAt = job.updatedAt
        nextFireAt = job.enabled ? job.nextFireAt : nil
        self.lastRun = lastRun.map(JobRunView.init)
    }
}

/// One attempt of a run as the API shows it; `duration_ms` once it has ended.
public struct JobRunView: Encodable, Sendable {
    public let id: Int64
    public let jobId: Int64
    public let state: String
    public let attempt: Int
    public let trigger: String
    public let triggeredBy: String?
    public let retryOf: Int64?
    public let scheduledFor: String?
    public let notBefore: String
    public let queuedAt: String
    public let startedAt: String?
    public let finishedAt: String?
    public let durationMs: Int?
    public let exitCode: Int?
    public let result: JSONValue?
    public let error: String?
    public let taskId: String?

    init(_ run: JobRunRecord) {
        id = run.id; jobId = run.jobID; state = run.state; attempt = run.attempt; trigger = run.trigger
        triggeredBy = run.triggeredByName; retryOf = run.retryOf; scheduledFor = run.scheduledFor; notBefore = run.notBefore
        queuedAt = run.queuedAt; startedAt = run.startedAt; finishedAt = run.finishedAt
        if let start = run.startedAt.flatMap(Timestamp.date), let end = run.finishedAt.flatMap(Timestamp.date) {
            durationMs = Int((end.timeIntervalSince(start) * 1000).rounded())
        } else {
            durationMs = nil
        }
        exitCode = run.exitCode; result = run.result.flatMap(JSONValue.parse); error = run.error; taskId = run.taskID
    }
}

/// The answer of the preview: the next fire times, in UTC and in the trigger's zone.
public struct SchedulePreview: Encodable, Sendable {
    public let timezone: String
    public let fires: [String]
    public let localFires: [String]
    public let jitterSeconds: Int
}
