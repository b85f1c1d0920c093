import Foundation
import GRDB
@testable import JarvisCore
@testable import JarvisStore
import XCTest

/// Hosts in the store: the upgrade that makes `local`, health checks and their
/// history, mirrors kept apart per host, and tasks serialised per host and target.
final class HostStoreTests: XCTestCase {
    private var dir = ""
    private var database: AppDatabase!
    private let admin = Principal(userID: 1, username: "admin", role: .admin, sessionID: "s", csrf: nil, viaCookie: false)

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "jarvis-hosts-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func open() throws -> AppDatabase {
        database = try AppDatabase(path: dir + "/jarvis.db")
        return database
    }

    private func far(_ database: AppDatabase) throws -> HostRecord {
        try database.insertHost(HostRecord(name: "far", displayName: "Far", endpoint: "tcp://10.0.0.2:2376", transport: "tls"))
    }

    func testTheUpgradeAttributesEverythingToLocal() throws {
        // A store as the previous release left it: migrated up to 008, with a task, a ticket and an audit row.
        let pool = try DatabasePool(path: dir + "/jarvis.db")
        try Migrations.migrator.migrate(pool, upTo: "008_keyed_audit_chain")
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO users (id, username, password_hash, role, created_at, updated_at, password_changed_at)
                VALUES (1, 'admin', 'x', 'admin', 'now', 'now', 'now');
                INSERT INTO tasks (id, kind, state, target, params, created_by, created_at, title)
                VALUES ('t1', 'stack.up', 'succeeded', 'stack:shop', '{"stack":"shop"}', 1, '2026-01-01T00:00:00.000Z', 'Up stack shop');
                INSERT INTO terminal_tokens (token_hash, user_id, container_id, container_name, exec_id, tty, expires_at)
                VALUES ('h', 1, 'c', 'web', 'e', 1, '2026-01-01T00:00:00.000Z');
                INSERT INTO container_snapshot (id, name, image, created, state, status, ports, labels, observed_at)
                VALUES ('c1', 'web', 'nginx', 1, 'running', 'Up', '[]', '{}', 1);
                """)
        }
        let database = try open()
        let hosts = try database.hosts()
        XCTAssertEqual(hosts.map(\.name), ["local"])
        XCTAssertEqual(hosts.first?.id, HostRecord.localID)
        XCTAssertTrue(hosts.first?.isDefault == true)
        let task = try XCTUnwrap(try database.task(id: "t1"))
        XCTAssertEqual(task.hostID, HostRecord.localID)
        XCTAssertEqual(task.hostName, "local")
        XCTAssertEqual(try database.tasks(TaskFilter()).tasks.map(\.title), ["Up stack shop"], "history kept")
        XCTAssertEqual(try pool.read { try Int64.fetchOne($0, sql: "SELECT host_id FROM terminal_tokens") }, HostRecord.localID)
    }

    func testChecksChangeStateOnceAndKeepAHistory() throws {
        let database = try open()
        let host = try far(database)
        XCTAssertEqual(host.state, "unknown")
        let first = try database.recordHostCheck(id: host.id, HostCheckResult(online: true, latencyMs: 3, error: nil, engine: #"{"version":"20.10"}"#))
        XCTAssertEqual(first?.state, "online")
        XCTAssertEqual(first?.previous, "unknown")
        XCTAssertNil(try database.recordHostCheck(id: host.id, HostCheckResult(online: true, latencyMs: 4, error: nil, engine: nil)),
                     "no change, no event")
        let down = try database.recordHostCheck(id: host.id, HostCheckResult(online: false, latencyMs: nil, error: "connection refused", engine: nil))
        XCTAssertEqual(down?.state, "offline")
        let stored = try XCTUnwrap(try database.host(id: host.id))
        XCTAssertEqual(stored.lastError, "connection refused")
        XCTAssertNotNil(stored.lastSeen, "last seen stays the last success")
        XCTAssertEqual(stored.engine, #"{"version":"20.10"}"#, "facts of the last success are kept")
        XCTAssertEqual(try database.hostHistory(hostID: host.id, limit: 10).map(\.state), ["offline", "online"])
        XCTAssertEqual(try database.hostEvents(after: first!.id).map(\.hostName), ["far"])
    }

    func testMirrorsOfTwoHostsStayApart() throws {
        let database = try open()
        let host = try far(database)
        func row(_ id: String, _ name: String) -> ContainerSnapshotRecord {
            ContainerSnapshotRecord(id: id, name: name, image: "img", imageID: nil, command: nil, created: 1, state: "running",
                                    status: "Up", health: nil, ports: "[]", labels: "{}", observedAt: 100)
        }
        // The same container id on both (the same engine added twice): two rows, one per host.
        try database.replaceContainerSnapshot(hostID: HostRecord.localID, [row("c1", "web"), row("c2", "db")], observedAt: 100)
        try database.replaceContainerSnapshot(hostID: host.id, [row("c1", "web")], observedAt: 100)
        try database.replaceContainerSnapshot(hostID: host.id, [], observedAt: 200)
        var query = ContainerSnapshotQuery()
        query.hostIDs = [HostRecord.localID]
        XCTAssertEqual(try database.containerSnapshot(query).rows.map(\.0.name), ["db", "web"], "a listing of far leaves local alone")
        query.hostIDs = nil
        try database.replaceContainerSnapshot(hostID: host.id, [row("c9", "api")], observedAt: 300)
        XCTAssertEqual(try database.containerSnapshot(query).rows.map { "\($0.0.hostID):\($0.0.name)" }, ["2:api", "1:db", "1:web"])
        XCTAssertEqual(try database.containerMirrorSyncedAt(hostID: host.id), 300)
        try database.markContainerMirrorStale(hostID: host.id)
        XCTAssertNil(try database.containerMirrorSyncedAt(hostID: host.id))
        XCTAssertEqual(try database.containerMirrorSyncedAt(hostID: HostRecord.localID), 100)
        XCTAssertEqual(try database.hostUsage()[host.id]?.states, ["running": 1])
    }

    func testSameTargetRunsInTurnOnOneHostAndAtOnceOnTwo() throws {
        let database = try open()
        _ = try UserService(database: database).create(username: "admin", password: "a-long-password-1", role: "admin")
        let host = try far(database)
        let tasks = TaskService(database: database, dataDir: dir)
        func enqueue(_ host: Int64) throws -> TaskRecord {
            try tasks.enqueue(kind: TaskKind.imagePull, title: "Pull x", target: "image:x", params: ["image": "x"], by: admin, host: host)
        }
        let first = try enqueue(HostRecord.localID)
        let second = try enqueue(HostRecord.localID)
        let remote = try enqueue(host.id)
        XCTAssertEqual(try database.claimNextTask(runnerPID: 1, maxRunning: 4)?.id, first.id)
        XCTAssertEqual(try database.claimNextTask(runnerPID: 1, maxRunning: 4)?.id, remote.id, "another host's same target runs beside it")
        XCTAssertNil(try database.claimNextTask(runnerPID: 1, maxRunning: 4), "the second local one waits for the first")
        _ = try database.finishTask(id: first.id, state: "succeeded")
        XCTAssertEqual(try database.claimNextTask(runnerPID: 1, maxRunning: 4)?.id, second.id)
        XCTAssertEqual(try database.activeTasks(hostID: host.id).map(\.id), [remote.id], "what blocks deleting far")
    }
}
