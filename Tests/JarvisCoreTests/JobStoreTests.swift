import Foundation
@testable import JarvisCore
import JarvisStore
import XCTest

/// The job store: a fire is taken once across schedulers, overlap policies, the global and per-job caps, trimming.
final class JobStoreTests: XCTestCase {
    private var dir = ""
    private var database: AppDatabase!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "jarvis-jobs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        database = try AppDatabase(path: dir + "/jarvis.db")
        _ = try UserService(database: database).create(username: "admin", password: "a-long-password-1", role: "admin")
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func job(_ name: String, overlap: String = "skip", cap: Int? = nil) throws -> JobRecord {
        var record = JobRecord(name: name, kind: "container.restart", hostID: 1, trigger: #"{"type":"interval","every_seconds":1}"#,
                               params: #"{"container":"c"}"#, createdBy: 1)
        record.overlap = overlap
        record.maxConcurrent = cap
        record.nextFireAt = Timestamp.string(Date(timeIntervalSince1970: 1_000))
        return try database.insertJob(record)
    }

    private func fire(_ job: JobRecord, _ expected: String?, _ next: String) throws -> FireOutcome {
        try database.takeFire(jobID: job.id, expected: expected, next: next, fired: expected ?? next,
                              run: JobRunRecord(jobID: job.id, trigger: "schedule", notBefore: Date(timeIntervalSince1970: 0)), overlap: job.overlap)
    }

    func testAFireIsTakenOnceAndOverlapSkipRecordsASkippedRun() throws {
        let a = try job("a")
        let first = a.nextFireAt
        guard case .queued = try fire(a, first, "t2") else { return XCTFail("the first fire queues a run") }
        XCTAssertEqual(try fire(a, first, "t2"), .alreadyTaken, "a second scheduler reading the same next fire gets nothing")
        guard case .skipped = try fire(a, "t2", "t3") else { return XCTFail("a queued run makes the next fire skip") }
        let runs = try database.jobRuns(jobID: a.id, page: 1, pageSize: 10).runs
        XCTAssertEqual(runs.map(\.state), ["skipped", "queued"])
        XCTAssertEqual(JSONValue.parse(runs[0].result ?? "")?["reason"]?.string, "overlap")
    }

    func testQueueKeepsOneWaitingRun() throws {
        let q = try job("q", overlap: "queue")
        _ = try fire(q, q.nextFireAt, "t2")
        XCTAssertEqual(try database.claimDueRuns(now: Date(), globalCap: 10, runnerPID: 1).count, 1)
        guard case .queued = try fire(q, "t2", "t3") else { return XCTFail("one run may wait behind the running one") }
        guard case .skipped = try fire(q, "t3", "t4") else { return XCTFail("a second waiting run is skipped") }
        XCTAssertEqual(try database.claimDueRuns(now: Date(), globalCap: 10, runnerPID: 1).count, 0, "queue runs one at a time")
    }

    func testTheGlobalCapAndThePerJobCapHold() throws {
        let jobs = try (0..<5).map { try job("j\($0)", overlap: "allow", cap: 2) }
        for job in jobs {
            for _ in 0..<3 { _ = try database.queueRun(JobRunRecord(jobID: job.id, trigger: "manual", notBefore: Date(timeIntervalSince1970: 0))) }
        }
        XCTAssertEqual(try database.claimDueRuns(now: Date(), globalCap: 2, runnerPID: 1).count, 2)
        XCTAssertEqual(try database.claimDueRuns(now: Date(), globalCap: 2, runnerPID: 1).count, 0, "two running is the global cap")
        let claimed = try database.claimDueRuns(now: Date(), globalCap: 100, runnerPID: 1)
        XCTAssertEqual(claimed.count, 8, "two per job at most: 10 in all, 2 were running")
        XCTAssertEqual(try database.runningRunCount(), 10)
        XCTAssertEqual(try database.claimDueRuns(now: Date(), globalCap: 100, runnerPID: 1).count, 0)
    }

    func testRunsDueLaterWaitAndRetriesAreQueuedWithTheEnd() throws {
        let r = try job("r")
        _ = try database.queueRun(JobRunRecord(jobID: r.id, trigger: "manual", notBefore: Date().addingTimeInterval(60)))
        XCTAssertTrue(try database.claimDueRuns(now: Date(), globalCap: 10, runnerPID: 1).isEmpty)
        let run = try XCTUnwrap(try database.claimDueRuns(now: Date().addingTimeInterval(61), globalCap: 10, runnerPID: 1).first)
        try database.finishRun(id: run.id, state: "retrying", result: nil, error: "boom",
                               retry: JobRunRecord(jobID: r.id, attempt: 2, trigger: "retry", retryOf: run.id))
        let runs = try database.jobRuns(jobID: r.id, page: 1, pageSize: 10).runs
        XCTAssertEqual(runs.map(\.state), ["queued", "retrying"])
        XCTAssertEqual(runs[0].attempt, 2)
        XCTAssertEqual(runs[0].retryOf, run.id)
    }

    func testOldRunsAreTrimmed() throws {
        let t = try job("t", overlap: "allow")
        for _ in 0..<(AppDatabase.runsKeptPerJob + 5) {
            let run = try database.queueRun(JobRunRecord(jobID: t.id, trigger: "manual", notBefore: Date(timeIntervalSince1970: 0)))
            _ = try database.claimDueRuns(now: Date(), globalCap: 10, runnerPID: 1)
            try database.finishRun(id: run.id, state: "succeeded", result: "{}", error: nil)
        }
        XCTAssertEqual(try database.jobRuns(jobID: t.id, page: 1, pageSize: 1).total, AppDatabase.runsKeptPerJob)
    }

    func testRetriesBackOffUpToTheCap() {
        let retries = JobRetries(count: 5, delaySeconds: 2, backoff: 3, maxDelaySeconds: 30)
        XCTAssertEqual((1...4).map { retries.delay(after: $0) }, [2, 6, 18, 30])
    }
}
