import Foundation
@testable import JarvisCore
import XCTest

final class TagPolicyTests: XCTestCase {
    let tags = ["1.0", "1.0.0", "1.0.1", "1.0.2", "1.1.0", "1.2.0", "1.2.1-rc.1", "2.0.0", "2.1.0-beta", "v1.0.5", "1.0.3-alpine",
                "1.0.0-alpine", "latest", "1.10.0", "3.0.0"]

    func testEachLevelPicksTheNewestAllowedTag() {
        XCTAssertEqual(TagPolicy(level: .patch).newest(above: "1.0.0", among: tags), "1.0.2")
        XCTAssertEqual(TagPolicy(level: .minor).newest(above: "1.0.0", among: tags), "1.10.0", "1.10 is above 1.2: numeric, not text")
        XCTAssertEqual(TagPolicy(level: .major).newest(above: "1.0.0", among: tags), "3.0.0")
        XCTAssertNil(TagPolicy(level: .patch).newest(above: "1.0.2", among: tags), "already the newest patch")
    }

    func testPrereleasesOnlyWhenAskedAndVariantsStayApart() {
        XCTAssertEqual(TagPolicy(level: .minor).newest(above: "1.2.0", among: tags), "1.10.0")
        XCTAssertEqual(TagPolicy(level: .patch, prereleases: true).newest(above: "1.2.0", among: tags), "1.2.1-rc.1")
        XCTAssertNil(TagPolicy(level: .patch).newest(above: "1.2.0", among: tags))
        XCTAssertEqual(TagPolicy(level: .patch).newest(above: "1.0.0-alpine", among: tags), "1.0.3-alpine", "alpine stays alpine")
        XCTAssertEqual(TagPolicy(level: .patch).newest(above: "v1.0.0", among: tags), "v1.0.5", "a v prefix stays")
        XCTAssertNil(TagPolicy(level: .major).newest(above: "latest", among: tags), "latest is not a version: nothing to watch")
        XCTAssertEqual(TagPolicy(level: .major).newest(above: "1.0", among: tags), nil, "1.0 has two parts: only two-part tags compare")
    }

    func testIncludeAndExcludeExpressions() {
        XCTAssertEqual(TagPolicy(level: .major, exclude: "^3\\.").newest(above: "1.0.0", among: tags), "2.0.0")
        XCTAssertEqual(TagPolicy(level: .major, include: "^1\\.").newest(above: "1.0.0", among: tags), "1.10.0")
        XCTAssertThrowsError(try TagPolicy(level: .major, include: "([").validate(field: "semver")) { error in
            XCTAssertEqual((error as? JarvisError)?.field, "semver.include")
        }
    }

    func testVersionOrdering() throws {
        let order = ["1.0.0-alpha", "1.0.0-beta.2", "1.0.0-beta.10", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0"]
        let parsed = try order.map { try XCTUnwrap(VersionTag($0)) }
        XCTAssertEqual(parsed.sorted().map(\.raw), order)
        XCTAssertNil(VersionTag("latest"))
        XCTAssertNil(VersionTag("1..2"))
    }
}

final class RegistryClientTests: XCTestCase {
    /// A registry in memory: answers by method and path, records what was asked.
    final class FakeRegistry: @unchecked Sendable {
        var answers: [String: OutboundClient.Answer] = [:]
        var asked: [(method: String, url: String, authorization: String?)] = []
        let lock = NSLock()

        func send(_ request: OutboundClient.HTTPRequest) async -> OutboundClient.Answer {
            lock.withLock {
                let authorization = request.headers.first { $0.0 == "Authorization" }?.1
                asked.append((request.method, request.url, authorization))
                let path = URLComponents(string: request.url).map { $0.path } ?? request.url
                if let token = answers["TOKEN"], path == "/token" { return authorization == nil ? answer(401) : token }
                if answers["BEARER"] != nil, authorization != "Bearer t0k3n" {
                    return answer(401, headers: ["www-authenticate": #"Bearer realm="http://127.0.0.1:9/token",service="reg",scope="repository:app:pull""#])
                }
                let query = URLComponents(string: request.url)?.percentEncodedQuery.map { "?" + $0 } ?? ""
                return answers["\(request.method) \(path)\(query)"] ?? answers["\(request.method) \(path)"] ?? answer(404)
            }
        }

        func answer(_ status: Int, body: String = "", headers: [String: String] = [:]) -> OutboundClient.Answer {
            OutboundClient.Answer(status: status, body: body, transportError: nil, headers: headers)
        }
    }

    func client(_ fake: FakeRegistry, insecure: Set<String> = ["127.0.0.1:9"], login: RegistryClient.Login? = nil) -> RegistryClient {
        RegistryClient(insecureRegistries: insecure, logins: { _ in login }, send: { await fake.send($0) })
    }

    func testADigestIsOneHead() async throws {
        let fake = FakeRegistry()
        fake.answers["HEAD /v2/app/manifests/1.0"] = fake.answer(200, headers: ["docker-content-digest": "sha256:aaa", "content-type": "x"])
        let registry = client(fake)
        let found = try await registry.manifestDigest(try XCTUnwrap(ImageReference("127.0.0.1:9/app:1.0")))
        XCTAssertEqual(found.digest, "sha256:aaa")
        XCTAssertEqual(fake.asked.map(\.method), ["HEAD"])
        XCTAssertEqual(fake.asked.first?.url, "http://127.0.0.1:9/v2/app/manifests/1.0", "plain HTTP only because it is marked insecure")
    }

    func testHTTPSUnlessMarkedInsecureAndDockerHubNames() throws {
        let registry = client(FakeRegistry(), insecure: [])
        XCTAssertEqual(registry.baseURL("127.0.0.1:9"), "https://127.0.0.1:9")
        XCTAssertEqual(registry.baseURL("docker.io"), "https://registry-1.docker.io")
        XCTAssertEqual(RegistryClient.remoteName(try XCTUnwrap(ImageReference("nginx:1.25"))), "library/nginx")
        XCTAssertEqual(RegistryClient.remoteName(try XCTUnwrap(ImageReference("grafana/grafana"))), "grafana/grafana")
        XCTAssertEqual(RegistryClient.remoteName(try XCTUnwrap(ImageReference("ghcr.io/org/app:2"))), "org/app")
    }

    func testAHeadWithoutDigestFallsBackToGetAndHashesTheBody() async throws {
        let fake = FakeRegistry()
        fake.answers["HEAD /v2/app/manifests/1.0"] = fake.answer(405)
        fake.answers["GET /v2/app/manifests/1.0"] = fake.answer(200, body: #"{"schemaVersion":2}"#)
        let found = try await client(fake).manifestDigest(try XCTUnwrap(ImageReference("127.0.0.1:9/app:1.0")))
        XCTAssertEqual(found.digest, RegistryClient.sha256(#"{"schemaVersion":2}"#))
        XCTAssertEqual(fake.asked.map(\.method), ["HEAD", "GET"])
    }

    func testTheBearerTokenFlowSignsInWithTheSavedLoginOnce() async throws {
        let fake = FakeRegistry()
        fake.answers["BEARER"] = fake.answer(0)
        fake.answers["TOKEN"] = fake.answer(200, body: #"{"token":"t0k3n","expires_in":300}"#)
        fake.answers["HEAD /v2/app/manifests/1.0"] = fake.answer(200, headers: ["docker-content-digest": "sha256:bbb"])
        let registry = client(fake, login: .init(username: "jv", password: "pw"))
        let reference = try XCTUnwrap(ImageReference("127.0.0.1:9/app:1.0"))
        _ = try await registry.manifestDigest(reference)
        _ = try await registry.manifestDigest(reference)
        XCTAssertEqual(fake.asked.count, 4, "401, token, HEAD; then the cached token: HEAD")
        let tokenCall = try XCTUnwrap(fake.asked.first { $0.url.contains("/token") })
        XCTAssertTrue(tokenCall.url.contains("service=reg") && tokenCall.url.contains("scope=repository:app:pull"), tokenCall.url)
        XCTAssertEqual(tokenCall.authorization, "Basic " + Data("jv:pw".utf8).base64EncodedString())
    }

    func testRateLimitHeadersStartABackoffInsteadOfMoreRequests() async throws {
        let fake = FakeRegistry()
        fake.answers["HEAD /v2/app/manifests/1.0"] = fake.answer(200, headers: ["docker-content-digest": "sha256:c", "ratelimit-remaining": "0;w=21600"])
        let registry = client(fake)
        let reference = try XCTUnwrap(ImageReference("127.0.0.1:9/app:1.0"))
        _ = try await registry.manifestDigest(reference)
        XCTAssertEqual(registry.rateLimits["127.0.0.1:9"], .init(remaining: 0, windowSeconds: 21600))
        do {
            _ = try await registry.manifestDigest(reference)
            XCTFail("a registry with no requests left is not asked")
        } catch let error as RegistryError {
            XCTAssertEqual(error.kind, .rateLimited)
            XCTAssertNotNil(error.retryAt)
        }
        XCTAssertEqual(fake.asked.count, 1)
    }

    func testTagsFollowLinkPages() async throws {
        let fake = FakeRegistry()
        fake.answers["GET /v2/app/tags/list?n=1000"] = fake.answer(200, body: #"{"tags":["1.0","1.1"]}"#,
                                                                   headers: ["link": #"</v2/app/tags/list?n=1000&last=1.1>; rel="next""#])
        fake.answers["GET /v2/app/tags/list?n=1000&last=1.1"] = fake.answer(200, body: #"{"tags":["2.0"]}"#)
        let tags = try await client(fake).tags(try XCTUnwrap(ImageReference("127.0.0.1:9/app:1.0")))
        XCTAssertEqual(tags, ["1.0", "1.1", "2.0"])
        XCTAssertEqual(fake.asked.count, 2)
    }

    func testChallengeParsing() throws {
        let parsed = try XCTUnwrap(RegistryClient.parseChallenge(#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#))
        XCTAssertEqual(parsed.scheme, "bearer")
        XCTAssertEqual(parsed.parameters["realm"], "https://auth.docker.io/token")
        XCTAssertEqual(parsed.parameters["scope"], "repository:library/nginx:pull")
        XCTAssertEqual(RegistryClient.parseChallenge(#"Basic realm="Registry""#)?.scheme, "basic")
        XCTAssertEqual(RegistryClient.nextLink(#"</v2/x/tags/list?n=2&last=b>; rel="next""#), "/v2/x/tags/list?n=2&last=b")
    }
}

final class ContainerRecreationTests: XCTestCase {
    func inspect() -> [String: Any] {
        [
            "Id": "0123456789abcdef0123", "Name": "/web", "Image": "sha256:old",
            "State": ["Running": true],
            "Config": [
                "Hostname": "0123456789ab", "Image": "app:1.0",
                "Env": ["PATH=/usr/bin", "MODE=prod"], "Cmd": ["serve"], "Entrypoint": NSNull(),
                "Labels": ["from.image": "yes", "mine": "1"], "ExposedPorts": ["80/tcp": [String: Any](), "9000/tcp": [String: Any]()],
                "Volumes": ["/data": [String: Any]()], "WorkingDir": "/app", "User": "",
                "Healthcheck": ["Test": ["CMD", "true"], "Interval": 1_000_000_000],
            ],
            "HostConfig": ["NetworkMode": "appnet", "RestartPolicy": ["Name": "unless-stopped"], "Memory": 67_108_864,
                           "Binds": ["/srv/conf:/conf:ro"], "PortBindings": ["80/tcp": [["HostPort": "8080"]]]],
            "Mounts": [
                ["Type": "bind", "Source": "/srv/conf", "Destination": "/conf", "RW": false],
                ["Type": "volume", "Name": "4f1c9a", "Destination": "/data", "RW": true],
            ],
            "NetworkSettings": ["Networks": [
                "appnet": ["Aliases": ["web", "0123456789ab"], "IPAMConfig": ["IPv4Address": "10.9.0.5"], "IPAddress": "10.9.0.5"],
                "backend": ["Aliases": ["api"]],
            ]],
        ]
    }

    let imageConfig: [String: Any] = [
        "Env": ["PATH=/usr/bin"], "Cmd": ["serve"], "Entrypoint": NSNull(), "Labels": ["from.image": "yes"],
        "ExposedPorts": ["80/tcp": [String: Any]()], "Volumes": ["/data": [String: Any]()], "WorkingDir": "/app", "User": "",
    ]

    func testKeepsWhatWasSetAndLeavesTheOldImageDefaultsToTheNewImage() throws {
        let made = try ContainerRecreation(inspect: inspect(), oldImageConfig: imageConfig, image: "app:1.1")
        XCTAssertEqual(made.name, "web")
        XCTAssertTrue(made.wasRunning)
        let body = made.body
        XCTAssertEqual(body["Image"] as? String, "app:1.1")
        XCTAssertNil(body["Hostname"], "the engine's id-based hostname is not copied")
        XCTAssertEqual(body["Env"] as? [String], ["MODE=prod"], "the image's PATH comes from the new image")
        XCTAssertNil(body["Cmd"], "the command was the image's")
        XCTAssertEqual(body["Labels"] as? [String: String], ["mine": "1"])
        XCTAssertEqual((body["ExposedPorts"] as? [String: Any])?.keys.sorted(), ["9000/tcp"])
        XCTAssertNil(body["WorkingDir"])
        XCTAssertNotNil(body["Healthcheck"], "a healthcheck the container set stays")
        let host = try XCTUnwrap(body["HostConfig"] as? [String: Any])
        XCTAssertEqual(host["Memory"] as? Int, 67_108_864)
        XCTAssertEqual(host["Binds"] as? [String], ["/srv/conf:/conf:ro"])
        let mounts = try XCTUnwrap(host["Mounts"] as? [[String: Any]])
        XCTAssertEqual(mounts.count, 1, "the anonymous volume, by name: its data stays")
        XCTAssertEqual(mounts.first?["Source"] as? String, "4f1c9a")
        XCTAssertEqual(mounts.first?["Target"] as? String, "/data")
        let endpoints = try XCTUnwrap((body["NetworkingConfig"] as? [String: Any])?["EndpointsConfig"] as? [String: Any])
        let appnet = try XCTUnwrap(endpoints["appnet"] as? [String: Any])
        XCTAssertEqual(appnet["Aliases"] as? [String], ["web"], "the old id's alias goes")
        XCTAssertEqual((appnet["IPAMConfig"] as? [String: String])?["IPv4Address"], "10.9.0.5", "a fixed address stays")
        XCTAssertEqual(made.laterNetworks.map(\.name), ["backend"])
        XCTAssertEqual(made.laterNetworks.first?.endpoint["Aliases"] as? [String], ["api"])
    }

    func testAnOverriddenEntrypointKeepsItsCommand() throws {
        var data = inspect()
        var config = data["Config"] as! [String: Any]
        config["Entrypoint"] = ["/bin/sh", "-c"]
        data["Config"] = config
        let made = try ContainerRecreation(inspect: data, oldImageConfig: imageConfig, image: "app:1.1")
        XCTAssertEqual(made.body["Entrypoint"] as? [String], ["/bin/sh", "-c"])
        XCTAssertEqual(made.body["Cmd"] as? [String], ["serve"])
    }
}
