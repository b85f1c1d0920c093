import DockerEngine
import Foundation
import XCTest

/// The network calls against the private engine (JARVIS_TEST_DOCKER_HOST), as `EngineIntegrationTests`.
final class NetworkIntegrationTests: XCTestCase {
    private var client: DockerClient!
    private var containers: [String] = []
    private var networks: [String] = []

    override func setUpWithError() throws {
        guard let host = ProcessInfo.processInfo.environment["JARVIS_TEST_DOCKER_HOST"] else {
            if ProcessInfo.processInfo.environment["JARVIS_REQUIRE_ENGINE"] == "1" {
                XCTFail("JARVIS_TEST_DOCKER_HOST is not set but an engine is required")
            }
            throw XCTSkip("no private engine (set JARVIS_TEST_DOCKER_HOST)")
        }
        client = DockerClient(host: try DockerHost.parse(host))
    }

    override func tearDown() async throws {
        for id in containers { try? await client?.removeContainer(id, force: true) }
        for id in networks { try? await client?.removeNetwork(id) }
    }

    func testAStoppedContainerOnANetworkShowsItsFixedAddressAndAliases() async throws {
        let name = "jv-it-net-\(UUID().uuidString.prefix(6).lowercased())"
        let third = Int.random(in: 0...255)
        let id = try await client.createNetwork(body: [
            "Name": name, "Driver": "bridge", "Labels": ["jarvis.test": "1"],
            "IPAM": ["Driver": "default", "Config": [["Subnet": "10.245.\(third).0/24", "Gateway": "10.245.\(third).1",
                                                      "AuxiliaryAddresses": ["router": "10.245.\(third).2"]]]],
        ])
        networks.append(id)
        let inspected = try await client.inspectNetwork(name)
        XCTAssertEqual(inspected.id, id)
        XCTAssertEqual(inspected.ipam?.config?.first?.gateway, "10.245.\(third).1")
        XCTAssertEqual(inspected.ipam?.config?.first?.auxiliaryAddresses, ["router": "10.245.\(third).2"])
        let listed = try await client.networkList()
        XCTAssertTrue(listed.contains { $0.id == id && $0.driver == "bridge" })

        let container = try await client.createContainer(name: "\(name)-c", body: ["Image": "jarvis-test/busybox:latest", "Cmd": ["true"]])
        containers.append(container)
        try await client.connectNetwork(id, container: container, endpoint: ["Aliases": ["db"], "IPAMConfig": ["IPv4Address": "10.245.\(third).40"]])
        let attachment = try await client.networkAttachments().first { $0.containerID == container && $0.networkName == name }
        XCTAssertEqual(attachment?.state, "created")
        XCTAssertEqual(attachment?.ipv4Address, "10.245.\(third).40", "not started: the fixed address it will get")
        // A container that never started has no endpoint, so no network id yet: NetworkService matches it by name.
        XCTAssertTrue(["", id].contains(attachment?.networkID ?? "-"), attachment?.networkID ?? "none")

        try await client.disconnectNetwork(id, container: container, force: false)
        let after = try await client.networkAttachments()
        XCTAssertFalse(after.contains { $0.containerID == container && $0.networkName == name })
        let manager = try await client.isSwarmManager()
        XCTAssertFalse(manager, "the private engine is no swarm")
        try await client.removeContainer(container, force: true)
        try await client.removeNetwork(id)
        networks.removeAll()
        do {
            _ = try await client.inspectNetwork(id)
            XCTFail("the network is still there")
        } catch let error as EngineError {
            XCTAssertEqual(error.code, .notFound)
        }
    }
}
