import Foundation
import JarvisStore
import XCTest

/// The snapshot the list reads: filters, order and paging in SQL, and no stale overwrite.
final class ContainerSnapshotStoreTests: XCTestCase {
    private var database: AppDatabase!

    override func setUpWithError() throws {
        let dir = NSTemporaryDirectory() + "jarvis-snapshot-\(UUID().uuidString)"
        database = try AppDatabase(path: dir + "/jarvis.db")
    }

    private func row(_ id: String, _ name: String, state: String = "running", created: Int64 = 0, labels: String = "{}",
                     observedAt: Int64 = 100) -> ContainerSnapshotRecord {
        ContainerSnapshotRecord(id: id, name: name, image: "img:\(name)", imageID: nil, command: nil, created: created, state: state,
                                status: "Up", health: nil, ports: "[]", labels: labels, observedAt: observedAt)
    }

    func testFiltersSortsAndPages() throws {
        try database.replaceContainerSnapshot(hostID: 1, [
            row("a1", "alpha", created: 3, labels: #"{"com.docker.compose.project":"shop"}"#),
            row("b2", "beta", state: "exited", created: 1),
            row("c3", "gamma_1", created: 2, labels: #"{"com.docker.compose.project":"shop","tier":"db"}"#),
        ], observedAt: 100)
        try database.saveContainerStats(hostID: 1, [
            ContainerStatsRecord(id: "a1", cpuPercent: 5, memoryUsed: 300, memoryLimit: 1000, networkRx: nil, networkTx: nil, pids: 1, sampledAt: 1),
            ContainerStatsRecord(id: "c3", cpuPercent: 50, memoryUsed: 100, memoryLimit: 1000, networkRx: nil, networkTx: nil, pids: 1, sampledAt: 1),
        ])
        var query = ContainerSnapshotQuery()
        func names() throws -> [String] { try database.containerSnapshot(query).rows.map(\.0.name) }
        XCTAssertEqual(try names(), ["alpha", "beta", "gamma_1"])
        query.sort = .cpu; query.descending = true
        XCTAssertEqual(try names(), ["gamma_1", "alpha", "beta"], "no sample sorts last")
        query.sort = .memory
        XCTAssertEqual(try names(), ["alpha", "gamma_1", "beta"])
        query.sort = .created; query.descending = false
        XCTAssertEqual(try names(), ["beta", "gamma_1", "alpha"])
        query = ContainerSnapshotQuery()
        query.labels = [("com.docker.compose.project", "shop")]
        XCTAssertEqual(try names(), ["alpha", "gamma_1"])
        query.labels = [("tier", nil)]
        XCTAssertEqual(try names(), ["gamma_1"])
        query = ContainerSnapshotQuery()
        query.text = "_"  // LIKE wildcards are literal here
        XCTAssertEqual(try names(), ["gamma_1"])
        XCTAssertEqual(try database.containerStateCounts(hostID: 1), ["running": 2, "exited": 1])
        query = ContainerSnapshotQuery()
        query.runningOnly = true; query.limit = 1; query.offset = 1
        let page = try database.containerSnapshot(query)
        XCTAssertEqual(page.rows.map(\.0.name), ["gamma_1"])
        XCTAssertEqual(page.total, 2)
    }

    func testAnOlderObservationNeverOverwritesANewerOne() throws {
        try database.upsertContainerSnapshot(row("a1", "new-name", observedAt: 200))
        try database.upsertContainerSnapshot(row("a1", "old-name", observedAt: 150))
        try database.replaceContainerSnapshot(hostID: 1, [], observedAt: 180)  // a listing that started before the refresh
        XCTAssertEqual(try database.containerSnapshot(ContainerSnapshotQuery()).rows.map(\.0.name), ["new-name"])
        try database.deleteContainerSnapshot(hostID: 1, id: "a1", observedAt: 250)
        XCTAssertEqual(try database.containerSnapshot(ContainerSnapshotQuery()).total, 0)
    }

    func testAStaleMirrorIsNotTrusted() throws {
        try database.replaceContainerSnapshot(hostID: 1, [], observedAt: 100)
        XCTAssertEqual(try database.containerMirrorSyncedAt(hostID: 1), 100)
        try database.markContainerMirrorStale(hostID: 1)
        XCTAssertNil(try database.containerMirrorSyncedAt(hostID: 1))
    }
}

final class TimestampTests: XCTestCase {
    func testTheHandWrittenFormatMatchesFoundations() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for seconds in [0.0, 1_700_000_000.123, 1_795_364_843.999, 951_782_400.5, 4_102_444_799.001] {
            let date = Date(timeIntervalSince1970: seconds)
            XCTAssertEqual(Timestamp.string(date), formatter.string(from: date), "\(seconds)")
            XCTAssertEqual(Timestamp.date(Timestamp.string(date))!.timeIntervalSince1970, seconds, accuracy: 0.001)
        }
    }
}
