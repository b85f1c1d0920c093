import Foundation
import JarvisAPI
import JarvisCore
import JarvisStore
import XCTest

/// Host routes through the API's middleware with a real store: bad input changes
/// nothing, offline hosts answer at once, busy hosts are not deleted.
final class HostRoutesTests: XCTestCase {
    private var api: JarvisAPI!
    private var environment: JarvisEnvironment!
    private var token = ""

    override func setUp() async throws {
        environment = try await TestEnvironment.start("hosts")
        api = JarvisAPI(environment: environment)
        token = try await environment.auth.login(username: "admin", password: "admin password one", ip: nil, userAgent: nil).accessToken
    }

    private func send(_ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:]) async -> (Int, [String: Any]) {
        var all = headers
        all["authorization"] = "Bearer \(token)"
        if json != nil { all["content-type"] = "application/json" }
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        let response = await api.handle(HTTPRequest(method: method, path: parts[0], query: HTTPRequest.parseQuery(parts.count > 1 ? parts[1] : ""),
                                                    headers: all, body: Array((json ?? "").utf8), remoteAddress: "10.1.2.3"))
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:])
    }

    private func error(_ body: [String: Any]) -> (code: String?, field: String?) {
        let error = body["error"] as? [String: Any]
        return (error?["code"] as? String, error?["field"] as? String)
    }

    private func remote(_ name: String, state: Bool?) throws -> HostRecord {
        let host = try environment.database.insertHost(HostRecord(name: name, displayName: name, endpoint: "tcp://10.255.0.2:2376", transport: "tcp"))
        if let state { try environment.database.recordHostCheck(id: host.id, HostCheckResult(online: state, latencyMs: 1, error: state ? nil : "refused", engine: nil)) }
        return try environment.database.host(id: host.id)!
    }

    func testBadHostsAreRefusedWithTheFieldAndNothingIsSaved() async throws {
        let cases: [(String, Int, String, String?)] = [
            (#"{"name":"Bad Name","endpoint":"unix:///x"}"#, 400, "invalid_field", "name"),
            (#"{"name":"local","endpoint":"unix:///x"}"#, 409, "host_exists", "name"),
            (#"{"name":"plain","endpoint":"tcp://10.255.0.9:2375"}"#, 422, "plain_tcp_disabled", "endpoint"),
            (#"{"name":"tls","endpoint":"unix:///x","tls":{"ca":"a","cert":"b","key":"c"}}"#, 400, "invalid_field", "tls"),
            (#"{"name":"ssh","endpoint":"ssh://u@10.255.0.9"}"#, 400, "invalid_field", "ssh.private_key"),
            (#"{"name":"gone","endpoint":"unix:///nonexistent/docker.sock"}"#, 422, "connection_failed", "endpoint"),
            (#"{"name":"labels","endpoint":"unix:///x","labels":{"bad key":"v"}}"#, 400, "invalid_field", "labels"),
        ]
        for (body, status, code, field) in cases {
            let (answer, json) = await send("POST", "/api/v1/hosts", json: body)
            XCTAssertEqual(answer, status, body)
            XCTAssertEqual(error(json).code, code, body)
            XCTAssertEqual(error(json).field, field, body)
        }
        XCTAssertEqual(try environment.database.hosts(includeArchived: true).map(\.name), ["local"])
    }

    func testAnOfflineHostAnswersItsListAsLastKnownAndRefusesActionsAtOnce() async throws {
        let host = try remote("far", state: false)
        try environment.database.replaceContainerSnapshot(hostID: host.id, [
            ContainerSnapshotRecord(id: "c1", name: "web", image: "nginx", imageID: nil, command: nil, created: 1, state: "running",
                                    status: "Up", health: nil, ports: "[]", labels: "{}", observedAt: 1_000_000_000),
        ], observedAt: 1_000_000_000)
        let (status, list) = await send("GET", "/api/v1/hosts/far/containers")
        XCTAssertEqual(status, 200)
        XCTAssertEqual(list["source"] as? String, "last_known")
        let row = (list["items"] as? [[String: Any]])?.first
        XCTAssertEqual(row?["stale"] as? Bool, true)
        XCTAssertNil(row?["cpu_percent"], "no live numbers on a last-known row")
        let started = Date()
        let (refused, body) = await send("POST", "/api/v1/hosts/far/containers/c1/stop", json: "{}")
        XCTAssertEqual(refused, 503)
        XCTAssertEqual(error(body).code, "host_offline")
        XCTAssertLessThan(Date().timeIntervalSince(started), 1, "no connect timeout")
        let (unknown, missing) = await send("GET", "/api/v1/hosts/nope/containers")
        XCTAssertEqual(unknown, 404)
        XCTAssertEqual(error(missing).code, "host_not_found")
        let (across, all) = await send("GET", "/api/v1/containers?host=*")
        XCTAssertEqual(across, 200)
        XCTAssertEqual((all["items"] as? [[String: Any]])?.compactMap { $0["host"] as? String }, ["far"])
    }

    func testAHostWithUnfinishedTasksIsNotDeleted() async throws {
        let host = try remote("busy", state: true)
        let admin = try XCTUnwrap(try environment.database.user(named: "admin"))
        let principal = Principal(userID: admin.id!, username: "admin", role: .admin, sessionID: "s", csrf: nil, viaCookie: false)
        let task = try environment.tasks.enqueue(kind: TaskKind.imagePull, title: "Pull x", target: "image:x", params: ["image": "x"],
                                                 by: principal, host: host.id)
        let (asked, confirmation) = await send("DELETE", "/api/v1/hosts/busy")
        XCTAssertEqual(asked, 428)
        let ticket = (confirmation["confirmation"] as? [String: Any])?["token"] as? String ?? ""
        let (refused, body) = await send("DELETE", "/api/v1/hosts/busy", headers: [ConfirmationService.header: ticket])
        XCTAssertEqual(refused, 409)
        XCTAssertEqual(error(body).code, "host_busy")
        XCTAssertTrue((((body["error"] as? [String: Any])?["message"] as? String) ?? "").contains(task.id))
        XCTAssertNotNil(try environment.database.host(name: "busy"))
        let (archived, _) = await send("POST", "/api/v1/hosts/busy/archive")
        XCTAssertEqual(archived, 200)
        let (answer, refusal) = await send("GET", "/api/v1/hosts/busy/containers")
        XCTAssertEqual(answer, 409)
        XCTAssertEqual(error(refusal).code, "host_archived")
    }
}
