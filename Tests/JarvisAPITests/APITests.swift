import Foundation
import JarvisAPI
import JarvisCore
import XCTest

/// The API's middleware and handlers with a real store and no engine (an
/// address nothing listens on): auth, CSRF, errors, audit.
final class APITests: XCTestCase {
    private var api: JarvisAPI!
    private let password = "test admin password"

    override func setUp() async throws {
        let environment = try await TestEnvironment.start("api", adminPassword: password)
        api = JarvisAPI(environment: environment)
    }

    private func send(_ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:],
                      query: [String: String] = [:]) async -> (HTTPResponse, [String: Any]) {
        var all = headers
        if json != nil { all["content-type"] = "application/json" }
        let request = HTTPRequest(method: method, path: path, query: query, headers: all, body: Array((json ?? "").utf8),
                                  remoteAddress: "127.0.0.1", requestID: "req-\(UUID().uuidString.prefix(6))")
        let response = await api.handle(request)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response, object)
    }

    private func errorCode(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

    private func login() async -> (cookie: String, csrf: String, bearer: String) {
        let (response, body) = await send("POST", "/api/v1/auth/login", json: #"{"username":"admin","password":"\#(password)"}"#)
        XCTAssertEqual(response.status, 200)
        let cookies = response.setCookies.map { $0.split(separator: ";")[0] }.joined(separator: "; ")
        return (cookies, body["csrf_token"] as? String ?? "", body["access_token"] as? String ?? "")
    }

    func testLoginSetsHardenedCookiesAndReturnsTokens() async {
        let (response, body) = await send("POST", "/api/v1/auth/login", json: #"{"username":"admin","password":"\#(password)"}"#)
        XCTAssertEqual(response.status, 200)
        XCTAssertNotNil(body["access_token"])
        XCTAssertNil((body["user"] as? [String: Any])?["password_hash"])
        let access = response.setCookies.first { $0.hasPrefix("jarvis_access=") } ?? ""
        XCTAssertTrue(access.contains("HttpOnly") && access.contains("Secure") && access.contains("SameSite=Strict"), access)
        let csrf = response.setCookies.first { $0.hasPrefix("jarvis_csrf=") } ?? ""
        XCTAssertFalse(csrf.contains("HttpOnly"), "the page must read the CSRF cookie")
    }

    func testBadInputGetsClearErrorsWithTheRequestID() async {
        let (malformed, body) = await send("POST", "/api/v1/auth/login", json: #"{"username": "admin", "#)
        XCTAssertEqual(malformed.status, 400)
        XCTAssertEqual(errorCode(body), "malformed_json")
        XCTAssertNotNil((body["error"] as? [String: Any])?["request_id"])
        let (missing, missingBody) = await send("POST", "/api/v1/auth/login", json: #"{"username":"admin"}"#)
        XCTAssertEqual(missing.status, 400)
        XCTAssertTrue(((missingBody["error"] as? [String: Any])?["message"] as? String ?? "").contains("password"))
        let (wrong, wrongBody) = await send("POST", "/api/v1/auth/login", json: #"{"username":"admin","password":"nope"}"#)
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(errorCode(wrongBody), "invalid_credentials")
        let (unknown, _) = await send("GET", "/api/v1/nothing-here")
        XCTAssertEqual(unknown.status, 404)
        let (method, _) = await send("DELETE", "/api/v1/health")
        XCTAssertEqual(method.status, 405)
        XCTAssertEqual(method.header("Allow"), "GET")
    }

    func testEverythingButLoginAndHealthNeedsASession() async {
        for (method, path) in [("GET", "/api/v1/containers"), ("GET", "/api/v1/containers/x"), ("POST", "/api/v1/containers/x/start"),
                               ("GET", "/api/v1/audit-logs"), ("GET", "/api/v1/auth/me"), ("POST", "/api/v1/auth/logout")] {
            let (response, body) = await send(method, path)
            XCTAssertEqual(response.status, 401, path)
            XCTAssertEqual(errorCode(body), "unauthorized", path)
        }
        let (health, healthBody) = await send("GET", "/api/v1/health")
        XCTAssertEqual(health.status, 503, "no engine: degraded")
        XCTAssertEqual((healthBody["store"] as? [String: Any])?["ok"] as? Bool, true)
    }

    func testCookieWritesNeedTheCSRFHeaderButBearerWritesDoNot() async {
        let session = await login()
        let (noHeader, body) = await send("POST", "/api/v1/containers/abc/start", headers: ["cookie": session.cookie])
        XCTAssertEqual(noHeader.status, 403)
        XCTAssertEqual(errorCode(body), "csrf_failed")
        let (wrongHeader, _) = await send("POST", "/api/v1/containers/abc/start",
                                          headers: ["cookie": session.cookie, "x-csrf-token": "forged"])
        XCTAssertEqual(wrongHeader.status, 403)
        // With the header the request reaches the engine, which is down here: 503.
        let (withHeader, engineBody) = await send("POST", "/api/v1/containers/abc/start",
                                                  headers: ["cookie": session.cookie, "x-csrf-token": session.csrf])
        XCTAssertEqual(withHeader.status, 503)
        XCTAssertEqual(errorCode(engineBody), "engine_unavailable")
        let (bearer, _) = await send("POST", "/api/v1/containers/abc/start", headers: ["authorization": "Bearer \(session.bearer)"])
        XCTAssertEqual(bearer.status, 503)
        let (reads, _) = await send("GET", "/api/v1/auth/me", headers: ["cookie": session.cookie])
        XCTAssertEqual(reads.status, 200, "reads need no CSRF header")
    }

    func testActionsAndFailuresAreAuditedWithRequestFacts() async {
        let session = await login()
        _ = await send("POST", "/api/v1/containers/abc/stop", json: #"{"timeout": 3}"#,
                       headers: ["authorization": "Bearer \(session.bearer)", "user-agent": "audit-test"])
        let (response, body) = await send("GET", "/api/v1/audit-logs", headers: ["authorization": "Bearer \(session.bearer)"],
                                          query: ["action": "container"])
        XCTAssertEqual(response.status, 200)
        let items = body["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(items.count, 1)
        let row = items.first ?? [:]
        XCTAssertEqual(row["action"] as? String, "container.stop")
        XCTAssertEqual(row["result"] as? String, "failure")
        XCTAssertEqual(row["username"] as? String, "admin")
        XCTAssertEqual(row["user_agent"] as? String, "audit-test")
        XCTAssertEqual(row["ip"] as? String, "127.0.0.1")
        XCTAssertEqual((row["params"] as? [String: String])?["timeout"], "3")
        XCTAssertNotNil(row["request_id"])
        let (logins, loginBody) = await send("GET", "/api/v1/audit-logs", headers: ["authorization": "Bearer \(session.bearer)"],
                                             query: ["action": "auth.login"])
        XCTAssertEqual(logins.status, 200)
        XCTAssertEqual(loginBody["total"] as? Int, 1)
        XCTAssertNil((loginBody["items"] as? [[String: Any]])?.first?["params"], "passwords never reach the audit trail")
    }

    func testInvalidParametersAreRejectedBeforeAnythingHappens() async {
        let session = await login()
        let auth = ["authorization": "Bearer \(session.bearer)"]
        let (page, _) = await send("GET", "/api/v1/containers", headers: auth, query: ["page_size": "100000"])
        XCTAssertEqual(page.status, 400)
        let (state, _) = await send("GET", "/api/v1/containers", headers: auth, query: ["state": "sideways"])
        XCTAssertEqual(state.status, 400)
        let (signal, _) = await send("POST", "/api/v1/containers/x/kill", json: #"{"signal":"SIGBOGUS"}"#, headers: auth)
        XCTAssertEqual(signal.status, 400)
        let (traversal, _) = await send("GET", "/api/v1/containers/..%2F..%2Fimages", headers: auth)
        XCTAssertEqual(traversal.status, 400)
    }

    func testLogoutRevokesTheSession() async {
        let session = await login()
        let (out, _) = await send("POST", "/api/v1/auth/logout", headers: ["cookie": session.cookie, "x-csrf-token": session.csrf])
        XCTAssertEqual(out.status, 204)
        let (after, body) = await send("GET", "/api/v1/auth/me", headers: ["cookie": session.cookie])
        XCTAssertEqual(after.status, 401)
        XCTAssertEqual(errorCode(body), "session_revoked")
    }
}

/// `terminal_enabled = false` closes the terminal for everyone, before any engine call.
final class TerminalSettingTests: XCTestCase {
    func testATurnedOffTerminalIsRefusedForAdminsToo() async throws {
        let environment = try await TestEnvironment.start("term", adminPassword: "test admin password", config: "terminal_enabled = false\n") {
            XCTAssertFalse($0.terminalEnabled)
        }
        let api = JarvisAPI(environment: environment)
        let login = await api.handle(HTTPRequest(method: "POST", path: "/api/v1/auth/login", headers: ["content-type": "application/json"],
                                                 body: Array(#"{"username":"admin","password":"test admin password"}"#.utf8)))
        let token = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["access_token"] as? String)
        let response = await api.handle(HTTPRequest(method: "POST", path: "/api/v1/containers/anything/exec",
                                                    headers: ["authorization": "Bearer \(token)"]))
        XCTAssertEqual(response.status, 403)
        XCTAssertTrue(String(decoding: response.body, as: UTF8.self).contains("terminal_disabled"))
    }
}

/// Every route the router serves is in openapi.yaml, and every path there
/// (other than jarvis-sse's streams) is served.
final class OpenAPICoverageTests: XCTestCase {
    func testRouterAndSpecListTheSameOperations() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var specified: Set<String> = []
        var streams: Set<String> = []
        var path = ""
        var operation = ""
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("  /"), let colon = line.firstIndex(of: ":") {
                path = String(line[line.index(line.startIndex, offsetBy: 2)..<colon])
            } else if let method = ["get", "post", "put", "patch", "delete"].first(where: { line.hasPrefix("    \($0):") }), !path.isEmpty {
                operation = "\(method.uppercased()) \(path)"
                specified.insert(operation)
            } else if line.contains("x-served-by: jarvis-sse") {
                streams.insert(operation)
            } else if !line.hasPrefix(" ") {
                path = ""
            }
        }
        XCTAssertFalse(specified.isEmpty)
        let dir = NSTemporaryDirectory() + "jarvis-openapi-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/jarvis.conf", contents: Data())
        let config = try JarvisConfig.load(environment: ["JARVIS_CONFIG": dir + "/jarvis.conf", "JARVIS_DATA_DIR": dir])
        let api = JarvisAPI(environment: try await JarvisEnvironment.start(config: config, logger: .init(label: "test")))
        let served = Set(api.router.routes.map { "\($0.method) \($0.pattern)" })
        XCTAssertEqual(served.subtracting(specified), [], "routes missing from openapi.yaml")
        XCTAssertEqual(specified.subtracting(streams).subtracting(served), [], "openapi.yaml lists operations nobody serves")
    }
}
