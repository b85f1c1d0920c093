import Foundation
import JarvisAPI
import JarvisCore
import XCTest

/// Roles, accounts, confirmations and login throttling through the API's own
/// middleware, with a real store (no engine needed: role checks come first).
final class AccessControlTests: XCTestCase {
    private var api: JarvisAPI!
    private var environment: JarvisEnvironment!
    private var tokens: [String: String] = [:]

    /// Who may call what. Adding a route without adding it here fails the matrix test.
    static let matrix: [String: Access] = [
        "GET /api/v1/health": .open,
        "GET /metrics": .localOrRole(.admin),
        "POST /api/v1/auth/login": .open,
        "POST /api/v1/auth/refresh": .open,
        "POST /api/v1/auth/logout": .role(.viewer),
        "GET /api/v1/auth/me": .role(.viewer),
        "GET /api/v1/auth/me/preferences": .role(.viewer),
        "PUT /api/v1/auth/me/preferences": .role(.viewer),
        "POST /api/v1/auth/password": .role(.viewer),
        "GET /api/v1/containers": .role(.viewer),
        "GET /api/v1/containers/{id}": .role(.viewer),
        "POST /api/v1/containers/{id}/start": .role(.operator_),
        "POST /api/v1/containers/{id}/stop": .role(.operator_),
        "POST /api/v1/containers/{id}/restart": .role(.operator_),
        "POST /api/v1/containers/{id}/kill": .role(.operator_),
        "POST /api/v1/containers/{id}/pause": .role(.operator_),
        "POST /api/v1/containers/{id}/unpause": .role(.operator_),
        "POST /api/v1/containers/{id}/rename": .role(.operator_),
        "POST /api/v1/containers/{id}/exec": .role(.operator_),
        "POST /api/v1/containers": .role(.operator_),
        "DELETE /api/v1/containers/{id}": .role(.operator_),
        "POST /api/v1/containers/actions": .role(.operator_),
        "GET /api/v1/containers/{id}/logs": .role(.viewer),
        "GET /api/v1/containers/{id}/logs/download": .role(.viewer),
        "GET /api/v1/system/dashboard": .role(.viewer),
        "GET /api/v1/system/history": .role(.viewer),
        // Jobs: operators schedule (prune and backup kinds need an admin, checked by kind), viewers read.
        "POST /api/v1/schedules/preview": .role(.viewer),
        "GET /api/v1/jobs": .role(.viewer),
        "POST /api/v1/jobs": .role(.operator_),
        "GET /api/v1/jobs/{id}": .role(.viewer),
        "PUT /api/v1/jobs/{id}": .role(.operator_),
        "DELETE /api/v1/jobs/{id}": .role(.operator_),
        "POST /api/v1/jobs/{id}/enable": .role(.operator_),
        "POST /api/v1/jobs/{id}/disable": .role(.operator_),
        "POST /api/v1/jobs/{id}/run": .role(.operator_),
        "GET /api/v1/jobs/{id}/runs": .role(.viewer),
        "GET /api/v1/job-runs/{id}": .role(.viewer),
        "GET /api/v1/containers/{id}/history": .role(.viewer),
        "GET /api/v1/images": .role(.viewer),
        "GET /api/v1/images/{id}": .role(.viewer),
        "DELETE /api/v1/images/{id}": .role(.operator_),
        "POST /api/v1/images/{id}/tag": .role(.operator_),
        "GET /api/v1/stacks": .role(.viewer),
        "POST /api/v1/stacks": .role(.operator_),
        "GET /api/v1/stacks/{name}": .role(.viewer),
        "PUT /api/v1/stacks/{name}": .role(.operator_),
        "DELETE /api/v1/stacks/{name}": .role(.operator_),
        "POST /api/v1/stacks/{name}/validate": .role(.operator_),
        "POST /api/v1/stacks/{name}/adopt": .role(.admin),
        "GET /api/v1/stacks/{name}/plan": .role(.viewer),
        "GET /api/v1/stacks/{name}/services": .role(.viewer),
        "GET /api/v1/stacks/{name}/history": .role(.viewer),
        "POST /api/v1/stacks/{name}/up": .role(.operator_),
        "POST /api/v1/stacks/{name}/down": .role(.operator_),
        "POST /api/v1/stacks/{name}/stop": .role(.operator_),
        "POST /api/v1/stacks/{name}/start": .role(.operator_),
        "POST /api/v1/stacks/{name}/restart": .role(.operator_),
        "POST /api/v1/stacks/{name}/pull": .role(.operator_),
        "POST /api/v1/images/prune": .role(.operator_),
        "GET /api/v1/volumes": .role(.viewer),
        "POST /api/v1/volumes": .role(.operator_),
        "POST /api/v1/volumes/prune": .role(.operator_),
        "GET /api/v1/volumes/{name}": .role(.viewer),
        "DELETE /api/v1/volumes/{name}": .role(.operator_),
        "GET /api/v1/volumes/{name}/files": .role(.viewer),
        "GET /api/v1/volumes/{name}/files/download": .role(.viewer),
        "POST /api/v1/volumes/{name}/files": .role(.operator_),
        "GET /api/v1/system/disk-usage": .role(.viewer),
        "POST /api/v1/system/disk-usage/refresh": .role(.operator_),
        "POST /api/v1/system/prune/{kind}": .role(.operator_),
        "POST /api/v1/images/pull": .role(.operator_),
        "POST /api/v1/images/build": .role(.operator_),
        "POST /api/v1/images/load": .role(.operator_),
        "POST /api/v1/images/save": .role(.operator_),
        "GET /api/v1/tasks": .role(.viewer),
        "GET /api/v1/tasks/{id}": .role(.viewer),
        "GET /api/v1/tasks/{id}/progress": .role(.viewer),
        "POST /api/v1/tasks/{id}/cancel": .role(.operator_),
        "POST /api/v1/tasks/{id}/retry": .role(.operator_),
        "GET /api/v1/tasks/{id}/artifact": .role(.operator_),
        "GET /api/v1/registries": .role(.operator_),
        "POST /api/v1/registries": .role(.operator_),
        "DELETE /api/v1/registries/{id}": .role(.operator_),
        "GET /api/v1/notifications/channels": .role(.admin),
        "POST /api/v1/notifications/channels": .role(.admin),
        "GET /api/v1/notifications/channels/{id}": .role(.admin),
        "PUT /api/v1/notifications/channels/{id}": .role(.admin),
        "DELETE /api/v1/notifications/channels/{id}": .role(.admin),
        "POST /api/v1/notifications/channels/{id}/test": .role(.admin),
        "GET /api/v1/notifications/rules": .role(.admin),
        "POST /api/v1/notifications/rules": .role(.admin),
        "POST /api/v1/notifications/rules/preview": .role(.admin),
        "GET /api/v1/notifications/rules/{id}": .role(.admin),
        "PUT /api/v1/notifications/rules/{id}": .role(.admin),
        "DELETE /api/v1/notifications/rules/{id}": .role(.admin),
        "GET /api/v1/notifications/deliveries": .role(.admin),
        "GET /api/v1/notifications/events": .role(.viewer),
        "GET /api/v1/audit-logs": .role(.admin),
        "GET /api/v1/audit-logs/export": .role(.admin),
        "GET /api/v1/auth/sessions": .role(.viewer),
        "DELETE /api/v1/auth/sessions/{id}": .role(.viewer),
        "POST /api/v1/auth/sessions/revoke-others": .role(.viewer),
        "DELETE /api/v1/users/{id}/sessions": .role(.admin),
        "GET /api/v1/users": .role(.admin),
        "POST /api/v1/users": .role(.admin),
        "PATCH /api/v1/users/{id}": .role(.admin),
        "DELETE /api/v1/users/{id}": .role(.admin),
        "POST /api/v1/users/{id}/password": .role(.admin),
        "GET /api/v1/hosts": .role(.viewer),
        "POST /api/v1/hosts": .role(.admin),
        "POST /api/v1/hosts/probe": .role(.admin),
        "GET /api/v1/hosts/{host}": .role(.viewer),
        "PATCH /api/v1/hosts/{host}": .role(.admin),
        "DELETE /api/v1/hosts/{host}": .role(.admin),
        "POST /api/v1/hosts/{host}/archive": .role(.admin),
        "POST /api/v1/hosts/{host}/unarchive": .role(.admin),
        "POST /api/v1/hosts/{host}/check": .role(.operator_),
        "GET /api/v1/hosts/{host}/history": .role(.viewer),
        "GET /api/v1/overview": .role(.viewer),
        "GET /api/v1/networks": .role(.viewer),
        "POST /api/v1/networks": .role(.operator_),
        "POST /api/v1/networks/prune": .role(.operator_),
        "GET /api/v1/networks/{id}": .role(.viewer),
        "DELETE /api/v1/networks/{id}": .role(.operator_),
        "POST /api/v1/networks/{id}/connect": .role(.operator_),
        "POST /api/v1/networks/{id}/disconnect": .role(.operator_),
        // Image updates (issue 19).
        "GET /api/v1/updates": .role(.viewer),
        "GET /api/v1/updates/history": .role(.viewer),
        "POST /api/v1/updates/check": .role(.operator_),
        "POST /api/v1/updates/apply": .role(.operator_),
        "POST /api/v1/containers/{id}/update": .role(.operator_),
        "POST /api/v1/containers/{id}/rollback": .role(.operator_),
        "GET /api/v1/containers/{id}/update-policy": .role(.viewer),
        "PUT /api/v1/containers/{id}/update-policy": .role(.operator_),
        "DELETE /api/v1/containers/{id}/update-policy": .role(.operator_),
        "POST /api/v1/stacks/{name}/update": .role(.operator_),
        "GET /api/v1/stacks/{name}/update-policy": .role(.viewer),
        "PUT /api/v1/stacks/{name}/update-policy": .role(.operator_),
        "DELETE /api/v1/stacks/{name}/update-policy": .role(.operator_),
        "GET /api/v1/hosts/{name}/update-policy": .role(.viewer),
        "PUT /api/v1/hosts/{name}/update-policy": .role(.admin),
        "GET /api/v1/templates": .role(.viewer),
        "GET /api/v1/templates/{id}": .role(.viewer),
        "POST /api/v1/templates/{id}/deploy": .role(.operator_),
        "GET /api/v1/template-sources": .role(.admin),
        "POST /api/v1/template-sources": .role(.admin),
        "GET /api/v1/template-sources/{id}": .role(.admin),
        "POST /api/v1/template-sources/{id}/refresh": .role(.admin),
        "DELETE /api/v1/template-sources/{id}": .role(.admin),
        "GET /api/v1/stacks/{name}/template": .role(.viewer),
    ]

    /// Every engine route also answers under `/api/v1/hosts/{host}`, with the same role.
    static var fullMatrix: [String: Access] {
        var all = matrix
        for (operation, access) in matrix {
            let parts = operation.split(separator: " ", maxSplits: 1).map(String.init)
            guard ["/api/v1/containers", "/api/v1/images", "/api/v1/stacks", "/api/v1/system/", "/api/v1/volumes", "/api/v1/networks"].contains(where: parts[1].hasPrefix) else { continue }
            all["\(parts[0]) /api/v1/hosts/{host}" + parts[1].dropFirst("/api/v1".count)] = access
        }
        return all
    }

    override func setUp() async throws {
        environment = try await TestEnvironment.start("acl")
        _ = try environment.users.create(username: "olga", password: "operator password", role: "operator")
        _ = try environment.users.create(username: "vera", password: "viewer password!", role: "viewer")
        api = JarvisAPI(environment: environment)
        for (user, password) in [("admin", "admin password one"), ("olga", "operator password"), ("vera", "viewer password!")] {
            tokens[user] = try await environment.auth.login(username: user, password: password, ip: nil, userAgent: nil).accessToken
        }
    }

    private func send(_ method: String, _ path: String, as user: String? = nil, json: String? = nil,
                      headers: [String: String] = [:], ip: String = "10.9.8.7") async -> (HTTPResponse, [String: Any]) {
        var all = headers
        if let user { all["authorization"] = "Bearer \(tokens[user]!)" }
        if json != nil { all["content-type"] = "application/json" }
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        let response = await api.handle(HTTPRequest(method: method, path: parts[0], query: HTTPRequest.parseQuery(parts.count > 1 ? parts[1] : ""),
                                                    headers: all, body: Array((json ?? "").utf8), remoteAddress: ip))
        return (response, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:])
    }

    private func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

    func testEveryRouteIsInTheMatrixAndEnforcesItsRole() async throws {
        let served = Dictionary(uniqueKeysWithValues: api.router.routes.map { ("\($0.method) \($0.pattern)", $0.access) })
        XCTAssertEqual(Set(served.keys), Set(Self.fullMatrix.keys), "routes and the role matrix differ")
        for (operation, access) in Self.fullMatrix {
            XCTAssertEqual(served[operation], access, operation)
            guard case let .role(needed) = access else { continue }  // localOrRole: testMetricsAreOpenLocallyAndToAdminsElsewhere
            let parts = operation.split(separator: " ")
            let path = String(parts[1]).replacingOccurrences(of: "{id}", with: "999").replacingOccurrences(of: "{host}", with: "local")
            let (anonymous, body) = await send(String(parts[0]), path)
            XCTAssertEqual(anonymous.status, 401, "\(operation) without a session")
            XCTAssertEqual(code(body), "unauthorized")
            for (user, role) in [("vera", Role.viewer), ("olga", Role.operator_)] where role < needed {
                let (refused, refusedBody) = await send(String(parts[0]), path, as: user)
                XCTAssertEqual(refused.status, 403, "\(operation) as \(role)")
                XCTAssertEqual(code(refusedBody), "forbidden", "\(operation) as \(role)")
            }
        }
    }

    func testMetricsAreOpenLocallyAndToAdminsElsewhere() async throws {
        Observability.bootstrap()
        _ = await send("GET", "/api/v1/auth/me", as: "vera")
        let (local, _) = await send("GET", "/metrics", ip: "127.0.0.1")
        XCTAssertEqual(local.status, 200)
        let text = String(decoding: local.body, as: UTF8.self)
        XCTAssertTrue(text.contains(#"jarvis_http_requests_total{route="/api/v1/auth/me",method="GET",status="200"}"#), text)
        XCTAssertTrue(text.contains("jarvis_http_request_duration_seconds_bucket{"), text)
        XCTAssertTrue(text.contains("# TYPE jarvis_tasks gauge"), text)
        let (anonymous, _) = await send("GET", "/metrics")
        XCTAssertEqual(anonymous.status, 401, "from elsewhere without a session")
        let (operatorAnswer, _) = await send("GET", "/metrics", as: "olga")
        XCTAssertEqual(operatorAnswer.status, 403)
        let (adminAnswer, _) = await send("GET", "/metrics", as: "admin")
        XCTAssertEqual(adminAnswer.status, 200)
    }

    func testAdminManagesAccountsWithinThePolicy() async throws {
        let (weak, weakBody) = await send("POST", "/api/v1/users", as: "admin", json: #"{"username":"newbie","password":"short","role":"viewer"}"#)
        XCTAssertEqual(weak.status, 400)
        XCTAssertEqual(code(weakBody), "weak_password")
        for password in ["newbie-password-x", "password1234", "aaaaaaaaaaaaaa"] {
            let (refused, _) = await send("POST", "/api/v1/users", as: "admin",
                                          json: #"{"username":"newbie","password":"\#(password)","role":"viewer"}"#)
            XCTAssertEqual(refused.status, 400, password)
        }
        let (traversal, _) = await send("POST", "/api/v1/users", as: "admin", json: #"{"username":"../etc","password":"a fine password 1","role":"viewer"}"#)
        XCTAssertEqual(traversal.status, 400)
        let (created, user) = await send("POST", "/api/v1/users", as: "admin", json: #"{"username":"newbie","password":"a fine password 1","role":"viewer"}"#)
        XCTAssertEqual(created.status, 201)
        XCTAssertNil(user["password_hash"])
        let (duplicate, _) = await send("POST", "/api/v1/users", as: "admin", json: #"{"username":"NEWBIE","password":"a fine password 1","role":"viewer"}"#)
        XCTAssertEqual(duplicate.status, 409)
        let id = user["id"] as! Int
        let (promoted, promotedBody) = await send("PATCH", "/api/v1/users/\(id)", as: "admin", json: #"{"role":"operator"}"#)
        XCTAssertEqual(promoted.status, 200)
        XCTAssertEqual(promotedBody["role"] as? String, "operator")
        let session = try await environment.auth.login(username: "newbie", password: "a fine password 1", ip: nil, userAgent: nil)
        let (disabled, _) = await send("PATCH", "/api/v1/users/\(id)", as: "admin", json: #"{"disabled":true}"#)
        XCTAssertEqual(disabled.status, 200)
        do {
            _ = try await environment.auth.authenticate(accessToken: session.accessToken, viaCookie: false)
            XCTFail("disabling ends the user's sessions")
        } catch {}
        let (selfDisable, _) = await send("PATCH", "/api/v1/users/1", as: "admin", json: #"{"disabled":true}"#)
        XCTAssertEqual(selfDisable.status, 409)
        let (lastAdmin, lastBody) = await send("PATCH", "/api/v1/users/1", as: "admin", json: #"{"role":"viewer"}"#)
        XCTAssertEqual(lastAdmin.status, 409)
        XCTAssertTrue(((lastBody["error"] as? [String: Any])?["message"] as? String ?? "").contains("last enabled admin"))
        let (unknown, _) = await send("PATCH", "/api/v1/users/4242", as: "admin", json: #"{"role":"viewer"}"#)
        XCTAssertEqual(unknown.status, 404)
    }

    func testOwnPasswordChangeNeedsTheCurrentOneAndEndsOtherSessions() async throws {
        let other = try await environment.auth.login(username: "vera", password: "viewer password!", ip: nil, userAgent: nil)
        let (wrong, wrongBody) = await send("POST", "/api/v1/auth/password", as: "vera",
                                            json: #"{"current_password":"nope","new_password":"a brand new password"}"#)
        XCTAssertEqual(wrong.status, 403)
        XCTAssertEqual(code(wrongBody), "wrong_password")
        let (changed, _) = await send("POST", "/api/v1/auth/password", as: "vera",
                                      json: #"{"current_password":"viewer password!","new_password":"a brand new password"}"#)
        XCTAssertEqual(changed.status, 204)
        let (still, _) = await send("GET", "/api/v1/auth/me", as: "vera")
        XCTAssertEqual(still.status, 200, "the session that changed it stays")
        do {
            _ = try await environment.auth.authenticate(accessToken: other.accessToken, viaCookie: false)
            XCTFail("other sessions end")
        } catch {}
    }

    func testDeletingAUserNeedsAConfirmationBoundToUserActionAndTarget() async throws {
        let first = try environment.users.create(username: "gone1", password: "doomed password 1", role: "viewer")
        let second = try environment.users.create(username: "gone2", password: "doomed password 2", role: "viewer")
        _ = try environment.users.create(username: "adam", password: "second admin pass", role: "admin")
        tokens["adam"] = try await environment.auth.login(username: "adam", password: "second admin pass", ip: nil, userAgent: nil).accessToken

        let (challenge, body) = await send("DELETE", "/api/v1/users/\(first.id)", as: "admin")
        XCTAssertEqual(challenge.status, 428)
        XCTAssertEqual(code(body), "confirmation_required")
        let confirmation = body["confirmation"] as? [String: Any] ?? [:]
        let token = confirmation["token"] as! String
        XCTAssertTrue((confirmation["summary"] as? String ?? "").contains("gone1"))
        XCTAssertEqual(confirmation["expires_in"] as? Int, 120)
        XCTAssertNotNil(try environment.users.get(first.id), "nothing happened yet")

        let (otherTarget, otherTargetBody) = await send("DELETE", "/api/v1/users/\(second.id)", as: "admin",
                                                        headers: ["x-confirmation-token": token])
        XCTAssertEqual(otherTarget.status, 403)
        XCTAssertEqual(code(otherTargetBody), "confirmation_invalid")
        let (otherUser, _) = await send("DELETE", "/api/v1/users/\(first.id)", as: "adam", headers: ["x-confirmation-token": token])
        XCTAssertEqual(otherUser.status, 403)

        let (done, _) = await send("DELETE", "/api/v1/users/\(first.id)", as: "admin", headers: ["x-confirmation-token": token])
        XCTAssertEqual(done.status, 204)
        let (replay, _) = await send("DELETE", "/api/v1/users/\(second.id)", as: "admin", headers: ["x-confirmation-token": token])
        XCTAssertEqual(replay.status, 403, "a token works once")
        XCTAssertNoThrow(try environment.users.get(second.id))
        let (selfDelete, _) = await send("DELETE", "/api/v1/users/1", as: "admin")
        XCTAssertEqual(selfDelete.status, 409)
    }

    func testFailuresThrottleTheUsernameAtThatAddressOnlyAfterExactlyFiveAndAreAudited() async throws {
        for attempt in 1...5 {
            let (failed, body) = await send("POST", "/api/v1/auth/login", json: #"{"username":"olga","password":"guess \#(attempt)"}"#,
                                            ip: "10.0.0.66")
            XCTAssertEqual(failed.status, 401, "failure \(attempt) of the allowed 5 is a plain failure")
            XCTAssertEqual(code(body), "invalid_credentials")
        }
        let (waiting, waitingBody) = await send("POST", "/api/v1/auth/login", json: #"{"username":"olga","password":"operator password"}"#,
                                                ip: "10.0.0.66")
        XCTAssertEqual(waiting.status, 429, "the sixth attempt from that address waits, even with the right password")
        XCTAssertEqual(code(waitingBody), "too_many_attempts")
        XCTAssertNotNil(waiting.header("Retry-After"))
        let (elsewhere, _) = await send("POST", "/api/v1/auth/login", json: #"{"username":"olga","password":"operator password"}"#,
                                        ip: "10.0.0.77")
        XCTAssertEqual(elsewhere.status, 200, "olga herself, from another address, is not locked out by someone else's guesses")
        let locks = try environment.audit.list(.init(action: "auth.lock"))
        XCTAssertEqual(locks.total, 1)
        XCTAssertEqual(locks.items.first?.resourceName, "user-ip:olga|10.0.0.66")
    }

    func testSprayingManyNamesFromOneAddressThrottlesThatAddress() async throws {
        for attempt in 1...20 {
            let (failed, _) = await send("POST", "/api/v1/auth/login", json: #"{"username":"name\#(attempt)","password":"x"}"#, ip: "10.0.0.88")
            XCTAssertEqual(failed.status, 401, "attempt \(attempt)")
        }
        let (sprayed, _) = await send("POST", "/api/v1/auth/login", json: #"{"username":"vera","password":"viewer password!"}"#, ip: "10.0.0.88")
        XCTAssertEqual(sprayed.status, 429)
        let (other, _) = await send("POST", "/api/v1/auth/login", json: #"{"username":"vera","password":"viewer password!"}"#, ip: "10.0.0.89")
        XCTAssertEqual(other.status, 200)
    }

    func testSessionsAreListedAndEndedOneOrAllOthers() async throws {
        let laptop = try await environment.auth.login(username: "vera", password: "viewer password!", ip: "10.1.1.1", userAgent: "laptop")
        let phone = try await environment.auth.login(username: "vera", password: "viewer password!", ip: "10.1.1.2", userAgent: "phone")
        tokens["vera"] = laptop.accessToken
        let (listed, body) = await send("GET", "/api/v1/auth/sessions", as: "vera")
        XCTAssertEqual(listed.status, 200)
        let items = body["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(items.count, 3, "setUp's login, laptop, phone")
        XCTAssertEqual(items.filter { $0["current"] as? Bool == true }.map { $0["user_agent"] as? String }, ["laptop"])
        let phoneID = items.first { $0["user_agent"] as? String == "phone" }?["id"] as! String
        let (ended, _) = await send("DELETE", "/api/v1/auth/sessions/\(phoneID)", as: "vera")
        XCTAssertEqual(ended.status, 204)
        let (again, _) = await send("DELETE", "/api/v1/auth/sessions/\(phoneID)", as: "vera")
        XCTAssertEqual(again.status, 404)
        do { _ = try await environment.auth.authenticate(accessToken: phone.accessToken, viaCookie: false); XCTFail() } catch {}
        let (others, othersBody) = await send("POST", "/api/v1/auth/sessions/revoke-others", as: "vera")
        XCTAssertEqual(others.status, 200)
        XCTAssertEqual(othersBody["revoked"] as? Int, 1)
        let (stillIn, _) = await send("GET", "/api/v1/auth/me", as: "vera")
        XCTAssertEqual(stillIn.status, 200)
        // Someone else's session id is not yours to end.
        let (foreign, _) = await send("DELETE", "/api/v1/auth/sessions/\(laptop.refreshToken)", as: "olga")
        XCTAssertEqual(foreign.status, 404)
        let (adminEnds, adminBody) = await send("DELETE", "/api/v1/users/3/sessions", as: "admin")
        XCTAssertEqual(adminEnds.status, 200)
        XCTAssertEqual(adminBody["revoked"] as? Int, 1)
        let (out, _) = await send("GET", "/api/v1/auth/me", as: "vera")
        XCTAssertEqual(out.status, 401)
    }

    func testAuditFiltersAndStreamedExports() async throws {
        _ = await send("POST", "/api/v1/containers/abc/stop", as: "olga", ip: "10.2.2.2")
        _ = await send("POST", "/api/v1/users", as: "admin", json: #"{"username":"=cmd","password":"x","role":"viewer"}"#)
        let (failures, body) = await send("GET", "/api/v1/audit-logs?result=failure&resource_type=container&ip=10.2.2.2", as: "admin")
        XCTAssertEqual(failures.status, 200)
        XCTAssertEqual(body["total"] as? Int, 1)
        let (text, textBody) = await send("GET", "/api/v1/audit-logs?q=abc", as: "admin")
        XCTAssertEqual(text.status, 200)
        XCTAssertEqual((textBody["items"] as? [[String: Any]])?.first?["resource_id"] as? String, "abc")
        let (future, futureBody) = await send("GET", "/api/v1/audit-logs?from=2999-01-01T00:00:00Z", as: "admin")
        XCTAssertEqual(future.status, 200)
        XCTAssertEqual(futureBody["total"] as? Int, 0)
        let (badTime, _) = await send("GET", "/api/v1/audit-logs?from=yesterday", as: "admin")
        XCTAssertEqual(badTime.status, 400)
        let (badResult, _) = await send("GET", "/api/v1/audit-logs?result=maybe", as: "admin")
        XCTAssertEqual(badResult.status, 400)

        let (csv, _) = await send("GET", "/api/v1/audit-logs/export?format=csv", as: "admin")
        XCTAssertEqual(csv.status, 200)
        XCTAssertTrue(csv.header("Content-Disposition")?.contains("jarvis-audit.csv") == true)
        let lines = String(decoding: try csv.collectBody(), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.first.map(String.init), AuditExport.csvHeader)
        XCTAssertEqual(lines.count - 1, try environment.audit.list(.init()).total)
        XCTAssertTrue(lines.contains { $0.contains(",'=cmd,") }, "spreadsheet formulas are defused")
        let (json, _) = await send("GET", "/api/v1/audit-logs/export?format=json&action=container", as: "admin")
        let rows = try JSONSerialization.jsonObject(with: Data(try json.collectBody())) as? [[String: Any]]
        XCTAssertEqual(rows?.count, 1)
        XCTAssertEqual(rows?.first?["action"] as? String, "container.stop")
        let (badFormat, _) = await send("GET", "/api/v1/audit-logs/export?format=xml", as: "admin")
        XCTAssertEqual(badFormat.status, 400)
    }
}
