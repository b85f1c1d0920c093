import Foundation
@testable import JarvisAPI
import JarvisCore
import XCTest

/// Request bodies are decoded strictly: a field no route takes is a 400 naming it, at any depth.
final class StrictJSONTests: XCTestCase {
    private struct Item: Decodable { let name: String; let size: Int? }
    private struct Order: Decodable { let items: [Item]; let note: String? }

    private func refusal<T: Decodable>(_ type: T.Type, _ json: String) -> JarvisError? {
        do {
            _ = try StrictJSON.decode(type, from: Data(json.utf8))
            return nil
        } catch let error as JarvisError {
            return error
        } catch {
            XCTFail("\(json): \(error)")
            return nil
        }
    }

    func testAnUnknownTopLevelFieldIsNamed() throws {
        let error = try XCTUnwrap(refusal(ContainerCreateRequest.self, #"{"image": "busybox", "cmd": "ls -l"}"#))
        XCTAssertEqual(error.status, 400)
        XCTAssertEqual(error.code, "unknown_field")
        XCTAssertEqual(error.field, "cmd")
        XCTAssertTrue(error.message.hasPrefix("cmd: unknown field"), error.message)
        XCTAssertTrue(error.message.contains("command"), "the message lists the fields the body takes: \(error.message)")
    }

    func testNestedObjectsAndArraysAreCheckedWithTheirPath() throws {
        let tls = try XCTUnwrap(refusal(HostConnectRequest.self,
                                         #"{"endpoint": "tcp://h:2376", "tls": {"ca": "a", "cert": "b", "key": "c", "server_nam": "h"}}"#))
        XCTAssertEqual(tls.field, "tls.server_nam")
        XCTAssertEqual(try XCTUnwrap(refusal(Order.self, #"{"items": [{"name": "a"}, {"name": "b", "colour": "red"}]}"#)).field,
                       "items[1].colour")
    }

    func testEveryKnownShapeStillDecodes() throws {
        let create = try StrictJSON.decode(ContainerCreateRequest.self, from: Data("""
            {"image": "busybox", "name": "web", "command": ["sh", "-c", "echo hi"], "entrypoint": "/bin/sh -c",
             "env": ["A=1"], "ports": ["8000-8001:80-81"], "volumes": ["data:/data"], "network": "bridge",
             "restart_policy": "on-failure:3", "labels": {"com.example_team": "ops", "my_label": "x"}, "memory": "64m",
             "cpus": 0.5, "user": "1000", "working_dir": "/srv", "hostname": "web", "tty": false, "start": null}
            """.utf8))
        XCTAssertEqual(create.command?.words, ["sh", "-c", "echo hi"])
        XCTAssertEqual(create.entrypoint?.words, ["/bin/sh", "-c"], "the string form, after the list form was tried")
        XCTAssertEqual(create.labels, ["com.example_team": "ops", "my_label": "x"], "label keys are data: kept as sent, never checked")
        XCTAssertEqual(create.restartPolicy, "on-failure:3")
        XCTAssertNil(create.start)
        let host = try StrictJSON.decode(HostPatch.self, from: Data(#"""
            {"display_name": "Edge", "default": true, "ssh": {"private_key": "k", "socket": "/run/docker.sock"}, "labels": {"a_b": "1"}}
            """#.utf8))
        XCTAssertEqual(host.default, true)
        XCTAssertEqual(host.ssh?.privateKey, "k")
        XCTAssertEqual(try StrictJSON.decode(Order.self, from: Data(#"{"items": [{"name": "a", "size": 2}]}"#.utf8)).items[0].size, 2)
    }

    func testSnakeCaseConversionMatchesFoundation() {
        for key in ["host_config", "a", "_private", "trailing_", "a__b", "server_name", "URL_path", "already"] {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            struct Probe: Decodable {
                let key: String
                init(from decoder: Decoder) throws { key = try decoder.container(keyedBy: AnyCodingKey.self).allKeys[0].stringValue }
            }
            let foundation = try? decoder.decode(Probe.self, from: Data(#"{"\#(key)": 1}"#.utf8)).key
            XCTAssertEqual(StrictJSON.camelCased(key), foundation, key)
        }
    }
}

/// The same through the API: nothing happens when a body holds a field the route does not take.
final class StrictBodyRouteTests: XCTestCase {
    private var api: JarvisAPI!
    private var bearer = ""

    override func setUp() async throws {
        api = JarvisAPI(environment: try await TestEnvironment.start("strict", adminPassword: "strict admin password"))
        let (login, body) = await send("POST", "/api/v1/auth/login", json: #"{"username":"admin","password":"strict admin password"}"#)
        XCTAssertEqual(login.status, 200)
        bearer = body["access_token"] as? String ?? ""
    }

    private func send(_ method: String, _ path: String, json: String? = nil, query: [String: String] = [:]) async -> (HTTPResponse, [String: Any]) {
        var headers: [String: String] = bearer.isEmpty ? [:] : ["authorization": "Bearer \(bearer)"]
        if json != nil { headers["content-type"] = "application/json" }
        let response = await api.handle(HTTPRequest(method: method, path: path, query: query, headers: headers,
                                                    body: Array((json ?? "").utf8), remoteAddress: "127.0.0.1"))
        return (response, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:])
    }

    private func error(_ body: [String: Any]) -> [String: Any] { body["error"] as? [String: Any] ?? [:] }

    func testUnknownFieldsAreRefusedAndNothingIsCreated() async throws {
        let (typo, typoBody) = await send("POST", "/api/v1/containers", json: #"{"image": "busybox", "cmd": "ls"}"#)
        XCTAssertEqual(typo.status, 400)
        XCTAssertEqual(error(typoBody)["code"] as? String, "unknown_field")
        XCTAssertEqual(error(typoBody)["field"] as? String, "cmd")

        let (user, userBody) = await send("POST", "/api/v1/users",
                                          json: #"{"username": "eve", "password": "a long enough password", "role": "viewer", "disabled": true}"#)
        XCTAssertEqual(user.status, 400)
        XCTAssertEqual(error(userBody)["field"] as? String, "disabled")
        let (list, listBody) = await send("GET", "/api/v1/users")
        XCTAssertEqual(list.status, 200)
        let names = (listBody["items"] as? [[String: Any]] ?? []).compactMap { $0["username"] as? String }
        XCTAssertFalse(names.contains("eve"), "the refused request created nothing: \(names)")

        let (good, _) = await send("POST", "/api/v1/users", json: #"{"username": "eve", "password": "a long enough password", "role": "viewer"}"#)
        XCTAssertEqual(good.status, 201, "the same body without the stray field is fine")
    }

    func testRoutesThatReadNoBodyRefuseFieldsButTakeAnEmptyObject() async throws {
        let (archive, archiveBody) = await send("POST", "/api/v1/hosts/local/archive", json: #"{"force": true}"#)
        XCTAssertEqual(archive.status, 400)
        XCTAssertEqual(error(archiveBody)["field"] as? String, "force")
        let (adopt, adoptBody) = await send("POST", "/api/v1/stacks/nothing-here/adopt", json: "{}")
        XCTAssertNotEqual(error(adoptBody)["code"] as? String, "unknown_field", "an empty object is no field: \(adopt.status)")
    }

    func testFollowingReachesThisProcessOnlyWithoutAStreamServer() async throws {
        let (follow, body) = await send("GET", "/api/v1/containers/web/logs", query: ["follow": "true"])
        XCTAssertEqual(follow.status, 404, "as /logs/follow answers where no jarvis-sse runs")
        XCTAssertTrue((error(body)["message"] as? String ?? "").contains("not available"))
        let (bad, _) = await send("GET", "/api/v1/containers/web/logs", query: ["follow": "maybe"])
        XCTAssertEqual(bad.status, 400)
    }
}
