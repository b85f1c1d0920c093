@testable import Compose
import Foundation
import XCTest

/// The engine bodies carry Compose v2's labels and every canonical setting.
final class EngineSpecTests: XCTestCase {
    func testContainerBodyOfTheWebService() throws {
        let folder = ComposeLoaderTests.fixtures + "/demo"
        let project = try ComposeLoader().load(folder: folder, name: "demo")
        let spec = EngineSpec(project: project)
        let web = project.services["web"]!
        let body = spec.containerBody(for: web, number: 1, materialized: { name, _ in "/unused/\(name)" })
        let labels = try XCTUnwrap(body["Labels"] as? [String: String])
        XCTAssertEqual(labels[ComposeLabel.project], "demo")
        XCTAssertEqual(labels[ComposeLabel.service], "web")
        XCTAssertEqual(labels[ComposeLabel.number], "1")
        XCTAssertEqual(labels[ComposeLabel.oneoff], "False")
        XCTAssertEqual(labels[ComposeLabel.configHash], ConfigHash.of(web))
        XCTAssertEqual(labels[ComposeLabel.workingDir], folder)
        XCTAssertEqual(labels[ComposeLabel.configFiles], folder + "/compose.yaml")
        XCTAssertEqual(labels[ComposeLabel.dependsOn], "init:service_completed_successfully:false")
        XCTAssertEqual(labels["team"], "ops")
        XCTAssertEqual(body["Image"] as? String, "jarvis-test/busybox:latest")
        XCTAssertEqual(body["Env"] as? [String], ["GREETING=hello world", "LOG_LEVEL=info", "MODE=production"])
        XCTAssertEqual(body["Cmd"] as? [String], ["httpd", "-f", "-p", "8080", "-h", "/data"])
        let health = try XCTUnwrap(body["Healthcheck"] as? [String: Any])
        XCTAssertEqual(health["Interval"] as? Int64, 1_000_000_000)
        let host = try XCTUnwrap(body["HostConfig"] as? [String: Any])
        XCTAssertEqual(host["NetworkMode"] as? String, "demo_default")
        XCTAssertEqual((host["PortBindings"] as? [String: [[String: String]]])?["8080/tcp"], [["HostIp": "127.0.0.1", "HostPort": "18080"]])
        let mounts = try XCTUnwrap(host["Mounts"] as? [[String: Any]])
        XCTAssertEqual(mounts.first?["Source"] as? String, "demo_data")
        XCTAssertEqual(mounts.first?["ReadOnly"] as? Bool, true)
        XCTAssertEqual((host["RestartPolicy"] as? [String: Any])?["Name"] as? String, "unless-stopped")
        let endpoints = try XCTUnwrap((body["NetworkingConfig"] as? [String: Any])?["EndpointsConfig"] as? [String: Any])
        XCTAssertEqual((endpoints["demo_default"] as? [String: Any])?["Aliases"] as? [String], ["web"])
        XCTAssertNoThrow(try JSONSerialization.data(withJSONObject: body), "the body is valid JSON")
        let worker = spec.containerBody(for: project.services["worker"]!, number: 1, materialized: { _, _ in "" })
        let workerHost = try XCTUnwrap(worker["HostConfig"] as? [String: Any])
        XCTAssertEqual(workerHost["NanoCpus"] as? Int64, 500_000_000)
        XCTAssertEqual(workerHost["Memory"] as? Int64, 64 << 20)
    }

    func testNetworkAndVolumeBodiesAreLabelled() throws {
        let project = try ComposeLoader().load(folder: ComposeLoaderTests.fixtures + "/demo", name: "demo")
        let spec = EngineSpec(project: project)
        let network = spec.networkBody("default")
        XCTAssertEqual(network["Name"] as? String, "demo_default")
        XCTAssertEqual((network["Labels"] as? [String: String])?[ComposeLabel.network], "default")
        let volume = spec.volumeBody("data")
        XCTAssertEqual(volume["Name"] as? String, "demo_data")
        XCTAssertEqual((volume["Labels"] as? [String: String])?[ComposeLabel.volume], "data")
    }
}
