import Foundation
import GRDB
@testable import JarvisStore
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
        XCTAssertTrue(report.reason?.hasPrefix("row content was changed") ?? false, report.reason ?? "")
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

    // MARK: keyed chain

    /// What a store writer without the key can do: recompute every hash from
    /// `from` on with the plain SHA-256 rule, after an edit.
    private func rewritePlain(_ store: AppDatabase, from: Int64) throws {
        try store.pool.write { db in
            var prev = try String.fetchOne(db, sql: "SELECT hash FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT 1", arguments: [from]) ?? ""
            let rows = try AuditRecord.fetchAll(db, sql: "SELECT * FROM audit_log WHERE id >= ? ORDER BY id", arguments: [from])
            for row in rows {
                let hash = AuditChain.plainHash(row, prev: prev)
                try db.execute(sql: "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", arguments: [prev, hash, row.id])
                prev = hash
            }
        }
    }

    func testAChainRewrittenWithPlainHashesIsDetected() throws {
        let (store, _) = try makeStore()
        for index in 0..<5 { try store.appendAudit(row("a\(index)")) }
        try store.pool.write { try $0.execute(sql: "UPDATE audit_log SET result = 'failure' WHERE id = 3") }
        try rewritePlain(store, from: 3)
        let report = try store.verifyAudit()
        XCTAssertEqual(report.brokenAt, 3, "every link matches, but row 3's HMAC does not")
        XCTAssertEqual(report.verified, 2)
        XCTAssertTrue(report.reason?.contains("HMAC") ?? false, report.reason ?? "")
    }

    func testTheKeyLivesOutsideTheStoreWithMode0600AndIsNeededToVerify() throws {
        let (store, path) = try makeStore()
        try store.appendAudit(row("a"))
        let keyPath = (path as NSString).deletingLastPathComponent + "/keys/audit-chain.key"
        XCTAssertEqual(store.auditKeyPath, keyPath)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int, 0o600)
        let other = try AppDatabase(path: path, auditKeyPath: NSTemporaryDirectory() + "jarvis-other-\(UUID().uuidString).key")
        XCTAssertThrowsError(try other.verifyAudit(), "no key file: the keyed rows cannot be checked") { error in
            XCTAssertTrue("\(error)".contains("missing"), "\(error)")
        }
        _ = try KeyFile.loadOrCreate(path: other.auditKeyPath)
        XCTAssertEqual(try other.verifyAudit().brokenAt, 1, "another key is not this store's")
    }

    /// Rows written before the upgrade keep verifying with the old rule; the
    /// first keyed row anchors them, and the marker cannot be moved or cleared.
    func testLegacyRowsStillVerifyAndTheMarkerCannotBeMovedOrCleared() throws {
        let (store, path) = try makeStore()
        // Legacy rows: plain hashes, and the marker not set (as after migration 008 on an old store).
        try store.pool.write { db in
            var prev = ""
            for index in 0..<3 {
                var legacy = self.row("old\(index)")
                legacy.prevHash = prev
                try legacy.insert(db)
                legacy.hash = AuditChain.plainHash(legacy, prev: prev)
                try db.execute(sql: "UPDATE audit_log SET hash = ? WHERE id = ?", arguments: [legacy.hash, legacy.id])
                prev = legacy.hash
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.auditKeyPath))
        let before = try store.verifyAudit()
        XCTAssertTrue(before.isIntact, "\(before)")
        XCTAssertNil(before.keyedFrom)
        for index in 0..<2 { try store.appendAudit(row("new\(index)")) }
        let after = try store.verifyAudit()
        XCTAssertTrue(after.isIntact, "\(after)")
        XCTAssertEqual(after.keyedFrom, 4)
        XCTAssertEqual(after.legacyRows, 3)
        XCTAssertEqual(after.verified, 5)

        // Passing keyed rows off as legacy: move the marker past them and rewrite plainly.
        let reopened = try AppDatabase(path: path)
        try reopened.pool.write { try $0.execute(sql: "UPDATE audit_chain SET keyed_from = 99") }
        try rewritePlain(reopened, from: 4)
        XCTAssertEqual(try reopened.verifyAudit().brokenAt, 99)
        XCTAssertTrue(try reopened.verifyAudit().reason?.contains("marker was altered") ?? false)
        // Clearing it instead: the key file exists, so a cleared marker is a downgrade.
        try reopened.pool.write { try $0.execute(sql: "UPDATE audit_chain SET keyed_from = NULL, mac = NULL") }
        XCTAssertTrue(try reopened.verifyAudit().reason?.contains("marker was cleared") ?? false)
        try reopened.appendAudit(row("after the downgrade"))
        XCTAssertTrue(try reopened.verifyAudit().reason?.contains("marker was cleared") ?? false, "the next append does not set it again")
        try reopened.pool.write { try $0.execute(sql: "DELETE FROM audit_chain") }
        XCTAssertTrue(try reopened.verifyAudit().reason?.contains("marker was deleted") ?? false)
    }

    func testAnEditedLegacyRowIsCaughtByTheFirstKeyedRow() throws {
        let (store, _) = try makeStore()
        try store.pool.write { db in
            var legacy = self.row("old")
            try legacy.insert(db)
            legacy.hash = AuditChain.plainHash(legacy, prev: "")
            try db.execute(sql: "UPDATE audit_log SET hash = ? WHERE id = ?", arguments: [legacy.hash, legacy.id])
        }
        try store.appendAudit(row("new"))
        try store.pool.write { try $0.execute(sql: "UPDATE audit_log SET action = 'nothing' WHERE id = 1") }
        try rewritePlain(store, from: 1)  // recomputes row 1 and, plainly, row 2
        XCTAssertEqual(try store.verifyAudit().brokenAt, 2)
    }

    func testAPublishedHeadCatchesDeletedNewestRowsAndARewrittenChain() throws {
        let (store, _) = try makeStore()
        for index in 0..<5 { try store.appendAudit(row("a\(index)")) }
        let head = try XCTUnwrap(try store.auditChainHead())
        XCTAssertEqual(head.id, 5)
        XCTAssertEqual(AuditChain.Head(head.description), head)
        XCTAssertNil(AuditChain.Head("5:nothex"))
        XCTAssertTrue(try store.verifyAudit(head: head).isIntact)
        try store.appendAudit(row("later"))
        XCTAssertTrue(try store.verifyAudit(head: head).isIntact, "an older head stays in a growing chain")

        try store.pool.write { try $0.execute(sql: "DELETE FROM audit_log WHERE id >= 5") }
        XCTAssertTrue(try store.verifyAudit().isIntact, "without a head, deleting the newest rows leaves no trace")
        let report = try store.verifyAudit(head: head)
        XCTAssertEqual(report.brokenAt, 5)
        XCTAssertTrue(report.reason?.contains("deleted") ?? false, report.reason ?? "")
    }

    func testAForgedPurgeCheckpointIsRefused() throws {
        let (store, _) = try makeStore()
        for index in 0..<5 { try store.appendAudit(row("a\(index)")) }
        // Hide rows 1-2 as if retention had purged them.
        try store.pool.write { db in
            let hash = try String.fetchOne(db, sql: "SELECT hash FROM audit_log WHERE id = 2")!
            try db.execute(sql: "DELETE FROM audit_log WHERE id <= 2")
            try db.execute(sql: "INSERT INTO audit_checkpoints (at, last_id, last_hash, purged) VALUES ('x', 2, ?, 2)", arguments: [hash])
        }
        let report = try store.verifyAudit()
        XCTAssertEqual(report.brokenAt, 2)
        XCTAssertTrue(report.reason?.contains("checkpoint") ?? false, report.reason ?? "")
    }
}
