import Foundation
import JarvisAPI
import JarvisCore
import JarvisStore
import XCTest

/// Issue 14 findings 8 and 12 through the API's middleware with a real store:
/// roles read per request, refusals and refresh reuse audited, metric labels bounded.
final class AuthHardeningTests: XCTestCase {
    private var environment: JarvisEnvironment!
    private var api: JarvisAPI!

    override func setUp() async throws {
        environment = try await TestEnvironment.start("hardening")
        api = JarvisAPI(environment: environment)
    }

    private func send(_ method: String, _ path: String, token: String? = nil, json: String? = nil) async -> (HTTPResponse, [String: Any]) {
        var headers: [String: String] = [:]
        if let token { headers["authorization"] = "Bearer \(token)" }
        if json != nil { headers["content-type"] = "application/json" }
        let response = await api.handle(HTTPRequest(method: method, path: path, headers: headers, body: Array((json ?? "").utf8),
                                                    remoteAddress: "10.2.3.4"))
        return (response, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:])
    }

    private func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

    private func login(_ user: String, _ password: String) async throws -> SessionTokens {
        try await environment.auth.login(username: user, password: password, ip: nil, userAgent: nil)
    }

    func testADemotedAdminsOldTokenCannotPromoteItselfBack() async throws {
        let dora = try environment.users.create(username: "dora", password: "demoted admin pw", role: "admin")
        let admin = try await login("admin", "admin password one")
        let doraSession = try await login("dora", "demoted admin pw")
        let (demoted, _) = await send("PATCH", "/api/v1/users/\(dora.id)", token: admin.accessToken, json: #"{"role":"viewer"}"#)
        XCTAssertEqual(demoted.status, 200)
        let (back, backBody) = await send("PATCH", "/api/v1/users/\(dora.id)", token: doraSession.accessToken, json: #"{"role":"admin"}"#)
        XCTAssertEqual(back.status, 401, "the demotion ended dora's sessions")
        XCTAssertEqual(code(backBody), "session_revoked")
        XCTAssertEqual(try environment.users.get(dora.id).role, "viewer")

        // Demoting oneself keeps the session that did it, with the new role at once.
        let selfish = try environment.users.create(username: "selfish", password: "self demotion pw1", role: "admin")
        let own = try await login("selfish", "self demotion pw1")
        let (down, _) = await send("PATCH", "/api/v1/users/\(selfish.id)", token: own.accessToken, json: #"{"role":"viewer"}"#)
        XCTAssertEqual(down.status, 200)
        let (up, upBody) = await send("PATCH", "/api/v1/users/\(selfish.id)", token: own.accessToken, json: #"{"role":"admin"}"#)
        XCTAssertEqual(up.status, 403)
        XCTAssertEqual(code(upBody), "forbidden")
        XCTAssertEqual(try environment.users.get(selfish.id).role, "viewer")
    }

    func testADisabledUsersTokenIsRefusedAtOnce() async throws {
        let olga = try environment.users.create(username: "olga", password: "operator password", role: "operator")
        let session = try await login("olga", "operator password")
        let (before, _) = await send("GET", "/api/v1/auth/me", token: session.accessToken)
        XCTAssertEqual(before.status, 200)
        _ = try environment.database.updateUser(id: olga.id, role: nil, disabled: true)
        let (after, body) = await send("GET", "/api/v1/auth/me", token: session.accessToken)
        XCTAssertEqual(after.status, 401)
        XCTAssertEqual(code(body), "account_disabled")
    }

    func testARoleRefusalIsAuditedWithTheUserAndTheActionRefused() async throws {
        _ = try environment.users.create(username: "vera", password: "viewer password!", role: "viewer")
        let vera = try await login("vera", "viewer password!")
        let (list, _) = await send("GET", "/api/v1/users", token: vera.accessToken)
        XCTAssertEqual(list.status, 403)
        let (create, _) = await send("POST", "/api/v1/users", token: vera.accessToken, json: #"{"username":"x","password":"y","role":"admin"}"#)
        XCTAssertEqual(create.status, 403)
        let rows = try environment.audit.list(.init(action: "auth.forbidden", username: "vera")).items
        XCTAssertEqual(Set(rows.compactMap { $0.params?["action"] }), ["GET /api/v1/users", "user.create"])
        XCTAssertTrue(rows.allSatisfy { $0.result == "failure" && $0.role == "viewer" && $0.ip == "10.2.3.4" && $0.userId != nil })
        let (anonymous, _) = await send("GET", "/api/v1/users")
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(try environment.audit.list(.init(action: "auth.forbidden")).total, 2, "no session: nobody to name, no row")
    }

    func testRefreshTokenReuseIsAuditedWithTheUser() async throws {
        let session = try await login("admin", "admin password one")
        let (rotated, _) = await send("POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(session.refreshToken)"}"#)
        XCTAssertEqual(rotated.status, 200)
        let (replayed, body) = await send("POST", "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(session.refreshToken)"}"#)
        XCTAssertEqual(replayed.status, 401)
        XCTAssertEqual(code(body), "token_reused")
        let rows = try environment.audit.list(.init(action: "auth.refresh_reuse")).items
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows.first?.username, "admin")
        XCTAssertEqual(rows.first?.params?["user_id"], "1")
        XCTAssertEqual(rows.first?.result, "failure")
    }

    func testMadeUpMethodsShareOneMetricLabel() async throws {
        Observability.bootstrap()
        let (brewed, _) = await send("BREW", "/api/v1/health")
        XCTAssertEqual(brewed.status, 405)
        _ = await send("X-\(UUID().uuidString)", "/api/v1/health")
        let metrics = await api.handle(HTTPRequest(method: "GET", path: "/metrics", remoteAddress: "127.0.0.1"))
        let text = String(decoding: metrics.body, as: UTF8.self)
        XCTAssertFalse(text.contains(#"method="BREW""#), text)
        XCTAssertFalse(text.contains(#"method="X-"#), text)
        XCTAssertTrue(text.contains(#"method="other",status="405""#), text)
    }
}
