import DockerEngine
import Foundation
@testable import JarvisCore
import JarvisStore
import XCTest

/// The event producers added for jobs, certificates, disk use and the audit chain: recovery detection,
/// threshold crossings and once-per-expiry / once-per-bad-row dedupe, against a real store.
final class NotifyProducerTests: XCTestCase {
    private var dir = ""
    private var database: AppDatabase!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "jarvis-notify-producers-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        database = try AppDatabase(path: dir + "/jarvis.db")
        _ = try UserService(database: database).create(username: "admin", password: "a-long-password-1", role: "admin")
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func events(_ kind: NotifyEventKind) throws -> [NotifyEventRecord] {
        try database.recentNotifyEvents(limit: 100).filter { $0.kind == kind.rawValue }
    }

    func testOnlyASuccessAfterAFailureOrTimeoutIsARecovery() {
        XCTAssertEqual(JobAlerts.kind(state: "failed", previousOutcome: nil), .jobFailed)
        XCTAssertEqual(JobAlerts.kind(state: "timed_out", previousOutcome: "succeeded"), .jobTimedOut)
        XCTAssertEqual(JobAlerts.kind(state: "succeeded", previousOutcome: "failed"), .jobRecovered)
        XCTAssertEqual(JobAlerts.kind(state: "succeeded", previousOutcome: "timed_out"), .jobRecovered)
        XCTAssertNil(JobAlerts.kind(state: "succeeded", previousOutcome: "succeeded"))
        XCTAssertNil(JobAlerts.kind(state: "succeeded", previousOutcome: nil), "a first success is not news")
        XCTAssertNil(JobAlerts.kind(state: "retrying", previousOutcome: nil), "an attempt that will be retried is not news yet")
        XCTAssertNil(JobAlerts.kind(state: "canceled", previousOutcome: "failed"))
    }

    func testTheRecoveryComparesWithThePreviousOutcomeNotRetriesOrSkips() throws {
        var record = JobRecord(name: "nightly", kind: "container.restart", hostID: 1, trigger: #"{"type":"interval","every_seconds":60}"#,
                               params: #"{"container":"c"}"#, createdBy: 1)
        record = try database.insertJob(record)
        func ended(_ state: String) throws -> JobRunRecord {
            let run = try database.queueRun(JobRunRecord(jobID: record.id, trigger: "manual", notBefore: Date(timeIntervalSince1970: 0)))
            let claimed = try database.claimDueRuns(now: Date(), globalCap: 10, runnerPID: 1)
            XCTAssertEqual(claimed.map(\.id), [run.id])
            try database.finishRun(id: run.id, state: state, result: nil, error: state == "succeeded" ? nil : "boom")
            return run
        }
        let failed = try ended("failed")
        XCTAssertNil(try database.previousRunOutcome(jobID: record.id, excluding: failed.id))
        _ = try ended("canceled")
        let success = try ended("succeeded")
        XCTAssertEqual(try database.previousRunOutcome(jobID: record.id, excluding: success.id), "failed")
        let alerts = JobAlerts(database: database, notifier: Notifier(database: database))
        let job = try XCTUnwrap(try database.job(id: record.id))
        alerts.runEnded(job: job, run: success, state: "succeeded", exitCode: nil, error: nil)
        let recovered = try events(.jobRecovered)
        XCTAssertEqual(recovered.count, 1)
        XCTAssertEqual(recovered.first?.target, "nightly")
        XCTAssertTrue(recovered.first?.fields.contains(#""previous":"failed""#) ?? false, recovered.first?.fields ?? "")
        let again = try ended("succeeded")
        alerts.runEnded(job: job, run: again, state: "succeeded", exitCode: nil, error: nil)
        XCTAssertEqual(try events(.jobRecovered).count, 1, "a second success in a row is not a recovery")
        alerts.runEnded(job: job, run: again, state: "failed", exitCode: nil, error: "late")
        XCTAssertEqual(try events(.jobFailed).count, 0, "an end that is not the stored one (another process ended the run) is not told")
    }

    func testACertificateInsideTheWindowIsToldOncePerExpiryDate() throws {
        // Whole seconds: the stored expiry has millisecond precision, and 10 days must read as 10.
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let soon = Timestamp.string(now.addingTimeInterval(10 * 86400))
        let later = Timestamp.string(now.addingTimeInterval(400 * 86400))
        let facts = #"{"tls":{"ca":{"not_after":"\#(later)"},"client":{"not_after":"\#(soon)"}}}"#
        let expiry = try XCTUnwrap(CertificateAlert.earliestExpiry(credentialFacts: facts))
        XCTAssertEqual(expiry.which, "client")
        XCTAssertEqual(expiry.at, soon)
        XCTAssertTrue(CertificateAlert.isNews(expiry: now.addingTimeInterval(10 * 86400), at: soon, now: now, windowDays: 14, told: nil))
        XCTAssertFalse(CertificateAlert.isNews(expiry: now.addingTimeInterval(10 * 86400), at: soon, now: now, windowDays: 14, told: soon))
        XCTAssertFalse(CertificateAlert.isNews(expiry: now.addingTimeInterval(10 * 86400), at: soon, now: now, windowDays: 7, told: nil))
        XCTAssertFalse(CertificateAlert.isNews(expiry: now.addingTimeInterval(10 * 86400), at: soon, now: now, windowDays: 0, told: nil))

        let host = HostRecord(name: "edge", displayName: "edge", endpoint: "tcp://127.0.0.1:2376", transport: "tls",
                              credentialFacts: facts)
        let stored = try database.insertHost(host)
        let alert = CertificateAlert(database: database, notifier: Notifier(database: database), windowDays: 14)
        for _ in 0..<3 { alert.check(stored, now: now) }
        let told = try events(.hostCertificateExpiring)
        XCTAssertEqual(told.count, 1, "several checks, one message")
        XCTAssertEqual(told.first?.hostName, "edge")
        XCTAssertTrue(told.first?.summary.contains("client certificate expires in 10 days") ?? false, told.first?.summary ?? "")
        // A renewed certificate that is again near its end is a new expiry date: told again.
        var renewed = stored
        let other = Timestamp.string(now.addingTimeInterval(5 * 86400))
        renewed.credentialFacts = #"{"tls":{"ca":{"not_after":"\#(later)"},"client":{"not_after":"\#(other)"}}}"#
        alert.check(renewed, now: now)
        alert.check(renewed, now: now)
        XCTAssertEqual(try events(.hostCertificateExpiring).count, 2)
    }

    func testDiskUseIsToldOncePerCrossingUpwards() {
        XCTAssertEqual(DiskUsageAlert.crossing(total: 10, threshold: 5, wasAbove: false).emit, true)
        XCTAssertEqual(DiskUsageAlert.crossing(total: 10, threshold: 5, wasAbove: true).emit, false)
        XCTAssertEqual(DiskUsageAlert.crossing(total: 5, threshold: 5, wasAbove: true).above, false, "at the threshold is not above")
        XCTAssertEqual(DiskUsageAlert.crossing(total: 10, threshold: 0, wasAbove: false).emit, false, "0 turns it off")
        XCTAssertEqual(DiskUsageAlert.size(64_424_509_440), "60.0 GiB")
        XCTAssertEqual(DiskUsageAlert.size(512), "512 B")
    }

    func testDiskReportsAboveBelowAboveSendTwoEventsWithThePerKindFigures() throws {
        func report(_ volume: Int64) throws -> DiskUsageReport {
            let json = """
                {"LayersSize":1000,"Images":[],"Containers":[{"Id":"c","SizeRw":20}],
                 "Volumes":[{"Name":"v","UsageData":{"Size":\(volume),"RefCount":1}}],"BuildCache":[{"ID":"b","Size":3,"InUse":false}]}
                """
            return try JSONDecoder().decode(DiskUsageReport.self, from: Data(json.utf8))
        }
        let alert = DiskUsageAlert(database: database, notifier: Notifier(database: database), host: (1, "local"), thresholdBytes: 5000)
        for volume: Int64 in [100, 9000, 9500, 10, 8000, 8000] { alert.observe(try report(volume)) }
        let told = try events(.hostDiskUsage)
        XCTAssertEqual(told.count, 2, "below, above (told), above, below, above (told), above")
        // Newest first: the second crossing, at 8,000 bytes of volumes.
        let fields = try XCTUnwrap(told.first.flatMap { JSONValue.parse($0.fields) })
        XCTAssertEqual(fields["total_bytes"]?.string, "9023")
        XCTAssertEqual(fields["images_bytes"]?.string, "1000")
        XCTAssertEqual(fields["volumes_bytes"]?.string, "8000")
        XCTAssertEqual(fields["containers_bytes"]?.string, "20")
        XCTAssertEqual(fields["build_cache_bytes"]?.string, "3")
    }

    private func auditRow(_ action: String) -> AuditRecord {
        AuditRecord(at: Timestamp.string(), userID: nil, username: "admin", role: "admin", action: action, resourceType: nil,
                    resourceID: nil, resourceName: nil, params: nil, result: "success", error: nil, ip: nil, userAgent: nil, requestID: nil)
    }

    func testABrokenAuditChainIsToldOncePerFirstBadRowAndAgainAfterARepair() throws {
        XCTAssertFalse(AuditChainWatch.isNews(brokenAt: nil, told: nil))
        XCTAssertTrue(AuditChainWatch.isNews(brokenAt: 3, told: nil))
        XCTAssertFalse(AuditChainWatch.isNews(brokenAt: 3, told: "3"))
        XCTAssertTrue(AuditChainWatch.isNews(brokenAt: 2, told: "3"))
        for index in 0..<5 { _ = try database.appendAudit(auditRow("a\(index)")) }
        let watch = AuditChainWatch(database: database)
        XCTAssertEqual(watch.verifyOnce()?.brokenAt, nil)
        try database.pool.write { try $0.execute(sql: "UPDATE audit_log SET result = 'failure' WHERE id = 3") }
        XCTAssertEqual(watch.verifyOnce()?.brokenAt, 3)
        XCTAssertEqual(watch.verifyOnce()?.brokenAt, 3)
        var told = try events(.auditChainBroken)
        XCTAssertEqual(told.count, 1, "two failing verifications, one message")
        XCTAssertTrue(told.first?.fields.contains(#""first_bad_id":"3""#) ?? false, told.first?.fields ?? "")
        try database.pool.write { try $0.execute(sql: "UPDATE audit_log SET result = 'success' WHERE id = 3") }
        XCTAssertEqual(watch.verifyOnce()?.brokenAt, nil)
        try database.pool.write { try $0.execute(sql: "UPDATE audit_log SET result = 'failure' WHERE id = 3") }
        watch.verifyOnce()
        told = try events(.auditChainBroken)
        XCTAssertEqual(told.count, 2, "broken again after a repair is news again")
    }

    /// The cost of the hourly verification on a large chain (run with JARVIS_MEASURE_AUDIT=ROWS).
    func testMeasureVerifyingALargeChain() throws {
        guard let text = ProcessInfo.processInfo.environment["JARVIS_MEASURE_AUDIT"], let rows = Int(text) else {
            throw XCTSkip("set JARVIS_MEASURE_AUDIT=ROWS to measure")
        }
        // JARVIS_MEASURE_AUDIT_KEEP=DIR keeps the store as DIR/jarvis.db and DIR/keys/audit-chain.key (a data_dir for jarvisctl).
        let keep = ProcessInfo.processInfo.environment["JARVIS_MEASURE_AUDIT_KEEP"]
        let base = keep ?? dir
        try FileManager.default.createDirectory(atPath: base + "/keys", withIntermediateDirectories: true)
        let keyed = try AppDatabase(path: base + "/jarvis.db", auditKeyPath: base + "/keys/audit-chain.key")
        try keyed.prepareAuditChain()
        for index in 0..<rows { _ = try keyed.appendAudit(auditRow("bulk\(index)")) }
        let started = Date()
        let report = try keyed.verifyAudit()
        print("verified \(report.verified) rows in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
        XCTAssertNil(report.brokenAt)
    }
}
