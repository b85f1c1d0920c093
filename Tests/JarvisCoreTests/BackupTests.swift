import Foundation
import GRDB
import JarvisStore
import XCTest

/// Backups are taken while Jarvis writes; restores only when it does not.
final class BackupTests: XCTestCase {
    private func folder() throws -> String {
        let path = NSTemporaryDirectory() + "jarvis-backup-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func row(_ index: Int) -> AuditRecord {
        AuditRecord(at: Timestamp.string(), userID: 1, username: "admin", role: "admin", action: "test.write", resourceType: "row",
                    resourceID: "\(index)", resourceName: String(repeating: "x", count: 200), params: "{}", result: "success", error: nil,
                    ip: "127.0.0.1", userAgent: "test", requestID: UUID().uuidString)
    }

    private func count(_ database: AppDatabase) throws -> (rows: Int, maxID: Int) {
        try database.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_log") ?? 0, try Int.fetchOne(db, sql: "SELECT MAX(id) FROM audit_log") ?? 0)
        }
    }

    func testABackupTakenWhileAnotherConnectionWritesIsTheStoreAtOneInstant() throws {
        let dir = try folder()
        let store = try AppDatabase(path: dir + "/jarvis.db")
        for index in 0..<2000 { try store.appendAudit(row(index)) }
        // A second pool on the same file stands for the other process, appending all along.
        let writer = try AppDatabase(path: dir + "/jarvis.db")
        let stop = ManagedAtomicFlag()
        let written = ManagedCounter()
        let thread = Thread {
            while !stop.isSet {
                // Only rows that were stored count: a busy store may refuse one now and then.
                if (try? writer.appendAudit(self.row(-1))) != nil { written.increment() }
            }
        }
        thread.start()
        while written.value < 50 { usleep(1000) }
        let info = try store.backup(to: dir + "/copy.db")
        while written.value < info.auditRows - 2000 + 50 { usleep(1000) }
        stop.set()
        while !thread.isFinished { usleep(1000) }

        let final = try count(store).rows
        XCTAssertGreaterThanOrEqual(info.auditRows, 2050, "rows written before the backup are in it")
        XCTAssertLessThan(info.auditRows, final, "rows written after it are not")
        var status = stat()
        XCTAssertEqual(stat(dir + "/copy.db", &status), 0)
        XCTAssertEqual(status.st_mode & 0o777, 0o600)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/copy.db-wal"), "one self-contained file")

        // The copy opens as a store whose hash chain is whole: no row is missing or half-written.
        let copy = try AppDatabase(path: dir + "/copy.db")
        let (rows, maxID) = try count(copy)
        XCTAssertEqual(rows, info.auditRows)
        XCTAssertEqual(maxID, rows, "ids 1...n without a gap")
        let report = try copy.verifyAudit()
        XCTAssertTrue(report.isIntact, "\(report)")
        XCTAssertEqual(report.verified, rows)
    }

    func testRestoreRefusesWhileTheStoreIsInUseThenKeepsTheOldFile() throws {
        let dir = try folder()
        let path = dir + "/jarvis.db"
        let store = try AppDatabase(path: path)
        for index in 0..<3 { try store.appendAudit(row(index)) }
        try store.backup(to: dir + "/three.db")
        for index in 3..<5 { try store.appendAudit(row(index)) }

        try AppDatabase.holdInUse(dir + "/other.db")
        XCTAssertThrowsError(try AppDatabase.restore(from: dir + "/three.db", to: dir + "/other.db")) { error in
            XCTAssertTrue("\(error)".contains("stop jarvis-fcgi and jarvis-sse"), "\(error)")
        }

        try Data("not a database at all, only some bytes".utf8).write(to: URL(fileURLWithPath: dir + "/corrupt.db"))
        XCTAssertThrowsError(try AppDatabase.restore(from: dir + "/corrupt.db", to: path))
        XCTAssertEqual(try count(store).rows, 5, "a refused restore changes nothing")

        let (info, kept) = try AppDatabase.restore(from: dir + "/three.db", to: path)
        XCTAssertEqual(info.auditRows, 3)
        let restored = try AppDatabase(path: path)
        XCTAssertEqual(try count(restored).rows, 3)
        XCTAssertTrue(try restored.verifyAudit().isIntact)
        let previous = try AppDatabase(path: try XCTUnwrap(kept))
        XCTAssertEqual(try count(previous).rows, 5, "the replaced store is kept whole")
    }

    func testRotationKeepsTheNewest() throws {
        let dir = try folder()
        let store = try AppDatabase(path: dir + "/jarvis.db")
        let rotation = BackupRotation(folder: dir + "/backups", keep: 2)
        for day in 0..<4 { _ = try rotation.run(store, now: Date(timeIntervalSince1970: 1_790_000_000 + Double(day) * 86400)) }
        XCTAssertEqual(rotation.files().map { ($0 as NSString).lastPathComponent }, ["jarvis-20260924-141320.db", "jarvis-20260923-141320.db"])
        XCTAssertNotNil(rotation.newest())
    }
}

private final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var isSet: Bool { lock.withLock { flag } }
    func set() { lock.withLock { flag = true } }
}

private final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
