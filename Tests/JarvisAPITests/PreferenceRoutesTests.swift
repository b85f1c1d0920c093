import Foundation
import JarvisAPI
import JarvisCore
import JarvisStore
import XCTest

/// The UI language and theme per user: stored in the store, read back on another session, refused when unknown.
final class PreferenceRoutesTests: XCTestCase {
    private var api: JarvisAPI!
    private var environment: JarvisEnvironment!

    override func setUp() async throws {
        environment = try await TestEnvironment.start("preferences")
        api = JarvisAPI(environment: environment)
    }

    private func token(_ username: String, _ password: String) async throws -> String {
        try await environment.auth.login(username: username, password: password, ip: nil, userAgent: nil).accessToken
    }

    private func send(_ method: String, _ token: String, json: String? = nil) async -> (Int, [String: Any]) {
        var headers = ["authorization": "Bearer \(token)"]
        if json != nil { headers["content-type"] = "application/json" }
        let response = await api.handle(HTTPRequest(method: method, path: "/api/v1/auth/me/preferences", query: [:],
                                                    headers: headers, body: Array((json ?? "").utf8), remoteAddress: "10.1.2.3"))
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:])
    }

    func testEachUserKeepsTheirOwnLanguage() async throws {
        let admin = try await token("admin", "admin password one")
        _ = try environment.users.create(username: "reader", password: "quiet lantern seventy", role: "viewer")
        let reader = try await token("reader", "quiet lantern seventy")
        let (unset, empty) = await send("GET", reader)
        XCTAssertEqual(unset, 200)
        XCTAssertNil(empty["language"])
        let (saved, body) = await send("PUT", reader, json: #"{"language":"zh-CN"}"#)
        XCTAssertEqual(saved, 200)
        XCTAssertEqual(body["language"] as? String, "zh-CN")
        let again = try await token("reader", "quiet lantern seventy")
        let (_, read) = await send("GET", again)
        XCTAssertEqual(read["language"] as? String, "zh-CN", "another session reads the same choice")
        let (_, adminRead) = await send("GET", admin)
        XCTAssertNil(adminRead["language"], "one user's choice is not another's")
    }

    func testAnUnknownLanguageIsRefusedAndNothingChanges() async throws {
        let admin = try await token("admin", "admin password one")
        let (status, body) = await send("PUT", admin, json: #"{"language":"fr"}"#)
        XCTAssertEqual(status, 400)
        let error = body["error"] as? [String: Any]
        XCTAssertEqual(error?["code"] as? String, "invalid_field")
        XCTAssertEqual(error?["field"] as? String, "language")
        let (_, read) = await send("GET", admin)
        XCTAssertNil(read["language"])
    }

    func testTheThemeIsKeptBesideTheLanguageAndABadFieldStoresNeither() async throws {
        let admin = try await token("admin", "admin password one")
        let (saved, body) = await send("PUT", admin, json: #"{"theme":"dark"}"#)
        XCTAssertEqual(saved, 200)
        XCTAssertEqual(body["theme"] as? String, "dark")
        let (refused, error) = await send("PUT", admin, json: #"{"language":"zh-CN","theme":"sepia"}"#)
        XCTAssertEqual(refused, 400)
        XCTAssertEqual((error["error"] as? [String: Any])?["field"] as? String, "theme")
        let (_, read) = await send("GET", admin)
        XCTAssertEqual(read["theme"] as? String, "dark")
        XCTAssertNil(read["language"], "the valid field of a refused body was not stored either")
    }
}
