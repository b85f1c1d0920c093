import Foundation
import JarvisAPI
import JarvisCore
import XCTest

/// The FastCGI pool's long lane: long requests can never take the workers short ones need.
final class WorkerLanesTests: XCTestCase {
    func testDefaultsLeaveEightWorkersForShortRequests() {
        let limits = WorkerLanes.Limits(threads: 32, longRequests: 24, perCaller: 6)
        XCTAssertEqual(limits.longSlots, 24)
        XCTAssertEqual(limits.reservedShort, 8)
        XCTAssertEqual(limits.perCaller, 6)
    }

    func testLimitsAreClampedSoOneWorkerStaysShortAndOneThreadStillServesLongRequests() {
        let tooMany = WorkerLanes.Limits(threads: 4, longRequests: 24, perCaller: 6)
        XCTAssertEqual(tooMany.longSlots, 3)
        XCTAssertEqual(tooMany.reservedShort, 1)
        XCTAssertEqual(tooMany.perCaller, 3, "a caller's share cannot exceed the lane")
        // mod_fcgid: one thread per process, the web server scales by processes.
        let single = WorkerLanes.Limits(threads: 1, longRequests: 24, perCaller: 6)
        XCTAssertEqual(single.longSlots, 1)
        XCTAssertEqual(single.reservedShort, 0)
    }

    func testAFullLaneIsBusyUntilASlotIsReleased() {
        var lanes = WorkerLanes(.init(threads: 6, longRequests: 4, perCaller: 2))
        for user in ["user:1", "user:1", "user:2", "user:2"] { XCTAssertEqual(lanes.acquire(caller: user), .admitted) }
        XCTAssertEqual(lanes.longInFlight, 4)
        XCTAssertEqual(lanes.acquire(caller: "user:3"), .busy)
        lanes.release(caller: "user:2")
        XCTAssertEqual(lanes.acquire(caller: "user:3"), .admitted)
        XCTAssertEqual(lanes.longInFlight, 4)
    }

    func testOneCallerCannotTakeMoreThanItsShare() {
        var lanes = WorkerLanes(.init(threads: 32, longRequests: 24, perCaller: 6))
        for _ in 0..<6 { XCTAssertEqual(lanes.acquire(caller: "user:7"), .admitted) }
        XCTAssertEqual(lanes.acquire(caller: "user:7"), .callerLimit)
        XCTAssertEqual(lanes.held(by: "user:7"), 6)
        XCTAssertEqual(lanes.acquire(caller: "user:8"), .admitted, "others still get in")
        lanes.release(caller: "user:7")
        XCTAssertEqual(lanes.acquire(caller: "user:7"), .admitted)
    }

    func testReleasingWhatWasNeverTakenChangesNothing() {
        var lanes = WorkerLanes(.init(threads: 8, longRequests: 2, perCaller: 2))
        lanes.release(caller: "user:1")
        XCTAssertEqual(lanes.longInFlight, 0)
        XCTAssertEqual(lanes.acquire(caller: "user:1"), .admitted)
        XCTAssertEqual(lanes.acquire(caller: "user:1"), .admitted)
        XCTAssertEqual(lanes.acquire(caller: "user:2"), .busy)
    }

    func testTicketsReleaseOnceAndRefusalsSay503Or429WithRetryAfter() throws {
        let lane = LongLane(.init(threads: 4, longRequests: 2, perCaller: 1))
        let first = try lane.acquire(caller: "user:1").get()
        guard case let .failure(own) = lane.acquire(caller: "user:1") else { return XCTFail("a second slot for user 1") }
        XCTAssertEqual(own.status, 429)
        XCTAssertEqual(own.code, "too_many_long_requests")
        XCTAssertTrue(own.headers.contains { $0.0 == "Retry-After" })
        let second = try lane.acquire(caller: "user:2").get()
        guard case let .failure(busy) = lane.acquire(caller: "user:3") else { return XCTFail("over the lane") }
        XCTAssertEqual(busy.status, 503)
        XCTAssertEqual(busy.code, "busy")
        XCTAssertTrue(busy.headers.contains { $0.0 == "Retry-After" })
        first.release()
        first.release()
        XCTAssertEqual(lane.inFlight, 1, "a ticket gives its slot back once")
        _ = second
    }

    func testManyThreadsNeverExceedTheLane() {
        let lane = LongLane(.init(threads: 32, longRequests: 24, perCaller: 6))
        let lock = NSLock()
        var peak = 0
        DispatchQueue.concurrentPerform(iterations: 400) { index in
            guard case let .success(ticket) = lane.acquire(caller: "user:\(index % 10)") else { return }
            let now = lane.inFlight
            lock.withLock { peak = max(peak, now) }
            ticket.release()
        }
        XCTAssertLessThanOrEqual(peak, 24)
        XCTAssertEqual(lane.inFlight, 0)
    }
}

/// Which routes the pool treats as long comes from the route table.
final class LongRouteTests: XCTestCase {
    func testUploadsDownloadsAndGracePeriodsAreLongAndHealthAndLoginAreNot() async throws {
        let environment = try await TestEnvironment.start("lanes", adminPassword: "lanes admin password") { config in
            XCTAssertEqual(config.fcgiThreads, 32)
            XCTAssertEqual(config.fcgiLongRequests, 24)
            XCTAssertEqual(config.fcgiLongPerUser, 6)
        }
        let api = JarvisAPI(environment: environment)
        func isLong(_ method: String, _ path: String) -> Bool? {
            guard case let .found(route, _) = api.router.match(method: method, path: path) else { return nil }
            return route.long
        }
        for (method, path) in [("POST", "/api/v1/images/load"), ("POST", "/api/v1/images/build"),
                               ("GET", "/api/v1/containers/abc/logs/download"), ("GET", "/api/v1/tasks/t1/artifact"),
                               ("POST", "/api/v1/containers/abc/stop"), ("POST", "/api/v1/containers/abc/restart"),
                               ("POST", "/api/v1/containers/actions"), ("GET", "/api/v1/audit-logs/export")] {
            XCTAssertEqual(isLong(method, path), true, "\(method) \(path)")
        }
        for (method, path) in [("GET", "/api/v1/health"), ("POST", "/api/v1/auth/login"), ("GET", "/api/v1/containers"),
                               ("POST", "/api/v1/containers/abc/start"), ("GET", "/api/v1/containers/abc/logs")] {
            XCTAssertEqual(isLong(method, path), false, "\(method) \(path)")
        }
        // An anonymous upload is refused from its headers alone, before any body byte.
        let anonymous = await api.preflight(HTTPRequest(method: "POST", path: "/api/v1/images/load", query: ["filename": "a.tar"],
                                                        headers: ["content-type": "application/x-tar"], remoteAddress: "203.0.113.9"))
        XCTAssertEqual(anonymous.refusal?.status, 401)
        XCTAssertEqual(anonymous.caller, "ip:203.0.113.9")
        // A signed-in caller is counted as the user, whichever address or session it comes from.
        let login = await api.handle(HTTPRequest(method: "POST", path: "/api/v1/auth/login", headers: ["content-type": "application/json"],
                                                 body: Array(#"{"username":"admin","password":"lanes admin password"}"#.utf8)))
        let token = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["access_token"] as? String)
        let admin = await api.preflight(HTTPRequest(method: "POST", path: "/api/v1/images/load", query: ["filename": "a.tar"],
                                                    headers: ["authorization": "Bearer " + token], remoteAddress: "203.0.113.9"))
        XCTAssertNil(admin.refusal)
        XCTAssertTrue(admin.caller.hasPrefix("user:"), admin.caller)
    }
}
