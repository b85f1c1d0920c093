import Foundation
@testable import JarvisCore
import JarvisStore
import XCTest

/// The durable queue: claims, target serialisation, cancel and retry rules.
final class TaskStoreTests: XCTestCase {
    private var dir = ""
    private var database: AppDatabase!
    private var service: TaskService!
    private let admin = Principal(userID: 1, username: "admin", role: .admin, sessionID: "s", csrf: nil, viaCookie: false)

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "jarvis-tasks-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        database = try AppDatabase(path: dir + "/jarvis.db")
        _ = try UserService(database: database).create(username: "admin", password: "a-long-password-1", role: "admin")
        service = TaskService(database: database, dataDir: dir)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func enqueue(_ target: String?) throws -> TaskRecord {
        try service.enqueue(kind: TaskKind.imagePull, title: "t", target: target, params: ["image": "x"], by: admin, host: 1)
    }

    func testClaimsRespectTheLimitAndRunOneTaskPerTargetAtATime() throws {
        let first = try enqueue("image:a")
        let sameTarget = try enqueue("image:a")
        let other = try enqueue("image:b")
        let third = try enqueue(nil)
        XCTAssertEqual(try database.claimNextTask(runnerPID: 1, maxRunning: 2)?.id, first.id)
        XCTAssertEqual(try database.claimNextTask(runnerPID: 1, maxRunning: 2)?.id, other.id, "image:a is busy: skip to the next target")
        XCTAssertNil(try database.claimNextTask(runnerPID: 1, maxRunning: 2), "two running is the limit")
        XCTAssertEqual(try database.claimNextTask(runnerPID: 1, maxRunning: 4)?.id, third.id)
        XCTAssertNil(try database.claimNextTask(runnerPID: 1, maxRunning: 4), "the same target waits")
        XCTAssertTrue(try database.finishTask(id: first.id, state: "succeeded"))
        XCTAssertFalse(try database.finishTask(id: first.id, state: "failed"), "a finished task stays finished")
        XCTAssertEqual(try database.claimNextTask(runnerPID: 1, maxRunning: 4)?.id, sameTarget.id)
    }

    func testCancelAndRetryRules() throws {
        let queued = try enqueue("image:q")
        let canceled = try service.cancel(queued.id)
        XCTAssertEqual(canceled.state, "canceled")
        XCTAssertThrowsError(try service.cancel(queued.id)) { XCTAssertEqual(($0 as? JarvisError)?.status, 409) }
        XCTAssertNil(try database.claimNextTask(runnerPID: 1, maxRunning: 4), "a canceled task never runs")

        let running = try enqueue("image:r")
        _ = try database.claimNextTask(runnerPID: 1, maxRunning: 4)
        XCTAssertTrue(try service.cancel(running.id).cancelRequested)
        XCTAssertEqual(try database.cancelRequests(among: [running.id]), [running.id])
        XCTAssertThrowsError(try service.retry(running.id, by: admin)) { XCTAssertEqual(($0 as? JarvisError)?.code, "task_not_retryable") }

        let retried = try service.retry(queued.id, by: admin)
        XCTAssertEqual(retried.retryOf, queued.id)
        XCTAssertEqual(retried.state, "queued")
        XCTAssertEqual(retried.params, queued.params)
        XCTAssertThrowsError(try service.get("../../etc")) { XCTAssertEqual(($0 as? JarvisError)?.status, 404) }
    }

    func testOrphansOfADeadRunnerAreInterrupted() throws {
        let task = try enqueue(nil)
        _ = try database.claimNextTask(runnerPID: 999_999, maxRunning: 4)  // no such process
        let orphans = try database.runningTasks().filter { kill($0.runnerPID ?? 0, 0) != 0 }
        try database.markTasksInterrupted(ids: orphans.map(\.id), reason: "gone")
        XCTAssertEqual(try service.get(task.id).state, "interrupted")
        XCTAssertEqual(try service.retry(task.id, by: admin).retryOf, task.id)
    }

    func testImageReferencesAndGitRemotes() throws {
        XCTAssertEqual(ImageReference("busybox")?.description, "busybox:latest")
        XCTAssertEqual(ImageReference("busybox")?.registry, "docker.io")
        XCTAssertEqual(ImageReference("127.0.0.1:5000/team/app:2")?.registry, "127.0.0.1:5000")
        XCTAssertEqual(ImageReference("127.0.0.1:5000/team/app")?.tag, "latest", "a port is not a tag")
        XCTAssertEqual(ImageReference("app", tag: "1.2")?.description, "app:1.2")
        XCTAssertNil(ImageReference("Upper/Case"))
        XCTAssertNil(ImageReference("../etc"))
        XCTAssertNil(ImageReference("a b"))
        XCTAssertEqual(try ImageTaskService.gitRemote("https://example.com/app", ref: "v1", subdir: "svc"),
                       "https://example.com/app.git#v1:svc")
        XCTAssertThrowsError(try ImageTaskService.gitRemote("file:///etc", ref: nil, subdir: nil))
        XCTAssertThrowsError(try ImageTaskService.gitRemote("git://h/r.git", ref: nil, subdir: "../x"))
        XCTAssertEqual(BuildExecutor.step("Step 3/7 : RUN make\n")?.current, 3)
        XCTAssertNil(BuildExecutor.step(" ---> Running in abc"))
    }
}
