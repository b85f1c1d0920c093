import Foundation
import GRDB
import JarvisStore
import XCTest

final class AuditChainTests: XCTestCase {
    private func makeStore() throws -> (AppDatabase, String) {
        let path = NSTemporaryDirectory() + "jarvis-audit-\(UUID().uuidString)/jarvis.db"
        return (try AppDatabase(path: path), path)
    }

    private func row(_ action: String, at: Date = Date()) -> AuditRecord {
        AuditRecord(at: Timestamp.string(at), userID: 1, username: "admin", role: "admin", action: action, resourceType: "container",
                    resourceID: "abc", resourceName: "web", params: #"{"timeout":"3"}"#, result: "success", error: nil,
                    ip: "127.0.0.1", userAgent: "test", requestID: UUID().uuidString)
    }

    func testAnUntouchedChainVerifies() throws {
        let (store, _) = try makeStore()
        for index in 0..<5 { try store.appendAudit(row("a\(index)")) }
        let report = try store.verifyAudit()
        XCTAssertTrue(report.isIntact)
        XCTAssertEqual(report.verified, 5)
    }

    func testAnEditedRowIsTheFirstBrokenLink() throws {
        let (store, _) = try makeStore()
        for index in 0..<5 { try store.appendAudit(row("a\(index)")) }
        try store.pool.write { try $0.execute(sql: "UPDATE audit_log SET result = 'failure' WHERE id = 3") }
        let report = try store.verifyAudit()
        XCTAssertEqual(report.brokenAt, 3)
        XCTAssertEqual(report.reason, "row content was changed")
        XCTAssertEqual(report.verified, 2)
    }

    func testADeletedRowIsFoundAtTheNextOne() throws {
        let (store, _) = try makeStore()
        for index in 0..<5 { try store.appendAudit(row("a\(index)")) }
        try store.pool.write { try $0.execute(sql: "DELETE FROM audit_log WHERE id = 2") }
        let report = try store.verifyAudit()
        XCTAssertEqual(report.brokenAt, 3)
        XCTAssertEqual(report.reason, "rows 2...2 were deleted")
    }

    func testRecomputingOneHashDoesNotHideAnEdit() throws {
        let (store, _) = try makeStore()
        for index in 0..<4 { try store.appendAudit(row("a\(index)")) }
        // An attacker edits row 2 and stores a plausible hash: row 3's link no longer matches.
        try store.pool.write { try $0.execute(sql: "UPDATE audit_log SET action = 'nothing', hash = 'ab' WHERE id = 2") }
        XCTAssertEqual(try store.verifyAudit().brokenAt, 2)
    }

    func testPurgeLeavesACheckpointAndTheRestStillVerifies() throws {
        let (store, _) = try makeStore()
        let old = Date().addingTimeInterval(-100 * 86400)
        for index in 0..<3 { try store.appendAudit(row("old\(index)", at: old)) }
        for index in 0..<2 { try store.appendAudit(row("new\(index)")) }
        XCTAssertEqual(try store.purgeAudit(olderThan: Date().addingTimeInterval(-90 * 86400)), 3)
        let report = try store.verifyAudit()
        XCTAssertTrue(report.isIntact, "\(report)")
        XCTAssertEqual(report.verified, 2)
        XCTAssertEqual(report.checkpoints, 1)
        try store.appendAudit(row("after purge"))
        XCTAssertTrue(try store.verifyAudit().isIntact)
        XCTAssertEqual(try store.purgeAudit(olderThan: old), 0, "nothing that old is left")
    }

    func testConcurrentWritersFromTwoConnectionsKeepOneChain() throws {
        let (first, path) = try makeStore()
        let second = try AppDatabase(path: path)
        DispatchQueue.concurrentPerform(iterations: 40) { index in
            _ = try? (index % 2 == 0 ? first : second).appendAudit(row("c\(index)"))
        }
        let report = try first.verifyAudit()
        XCTAssertTrue(report.isIntact, "\(report)")
        XCTAssertEqual(report.verified, 40)
    }
}
