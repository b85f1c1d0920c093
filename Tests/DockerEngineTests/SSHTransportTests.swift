@testable import DockerEngine
import Foundation
import XCTest

/// SSH hosts through a private sshd on 127.0.0.1 (its own host keys, root with one
/// throw-away key) forwarding to the private engine's socket.
final class SSHTransportTests: XCTestCase {
    private static let port = 24110
    private static let changedKeyPort = 24111
    private var engineSocket = ""
    private var ssh: SSHFixture!
    private var daemons: [ChildProcess] = []
    private var endpoints: [SSHEndpoint] = []

    override func setUp() async throws {
        engineSocket = try Fixture.engineSocket()
        ssh = try SSHFixture()
        SSHTunnels.shared.directory = "/tmp/jv-transport-tunnels"
        daemons.append(try await ssh.start(port: Self.port))
    }

    override func tearDown() async throws {
        for endpoint in endpoints { SSHTunnels.shared.stop(endpoint) }
        for daemon in daemons { kill(daemon.pid, SIGKILL) }
        ssh?.remove()
    }

    private func endpoint(port: Int = SSHTransportTests.port, key: String = "client", pin: String? = nil) throws -> SSHEndpoint {
        let endpoint = SSHEndpoint(user: "root", host: "127.0.0.1", port: port, remoteSocket: engineSocket,
                                   privateKeyPEM: try ssh.key(key), knownHostsLine: pin)
        endpoints.append(endpoint)
        return endpoint
    }

    func testProbeReadsThePinsTheHostKeyAndReportsTheEngine() async throws {
        let result = try await EngineProbe.probe(DockerHost(.ssh(try endpoint())))
        let hostKey = try XCTUnwrap(result.hostKey)
        XCTAssertEqual(hostKey.type, "ssh-ed25519")
        XCTAssertEqual(hostKey.fingerprint, try ssh.fingerprint("hostkey"), "the fingerprint ssh-keygen -l prints")
        XCTAssertEqual(hostKey.knownHostsLine, try ssh.publicKeyLine("hostkey"))
        XCTAssertEqual(result.fingerprint, hostKey.fingerprint)
        XCTAssertNil(result.serverCertificate)
        XCTAssertFalse(result.engine.version.isEmpty)
        XCTAssertGreaterThan(result.engine.cpus, 0)
        guard case let .ssh(pinned) = result.host.transport else { return XCTFail("probe changed the transport") }
        XCTAssertEqual(pinned.knownHostsLine, hostKey.knownHostsLine)
        endpoints.append(pinned)
        XCTAssertFalse(SSHTunnels.shared.isRunning(pinned), "a probe's tunnel ends with the probe")
    }

    func testListThroughThePinnedTunnelAndRestartAfterSSHDied() async throws {
        let client = DockerClient(host: DockerHost(.ssh(try endpoint(pin: try ssh.publicKeyLine("hostkey")))))
        guard case let .ssh(pinned) = client.host.transport else { return }
        let direct = DockerClient(host: DockerHost(.unix(path: engineSocket)))
        let expected = try await direct.containers(ListContainersOptions(all: true)).map(\.id).sorted()
        let listed = try await client.containers(ListContainersOptions(all: true)).map(\.id).sorted()
        XCTAssertEqual(listed, expected)
        let first = try XCTUnwrap(SSHTunnels.shared.processID(for: pinned))
        XCTAssertEqual(try String(contentsOfFile: "/proc/\(first)/comm", encoding: .utf8), "ssh\n")

        kill(first, SIGKILL)
        for _ in 0..<50 where SSHTunnels.shared.isRunning(pinned) { try await Task.sleep(nanoseconds: 100_000_000) }
        XCTAssertFalse(SSHTunnels.shared.isRunning(pinned))
        let again = try await client.containers(ListContainersOptions(all: true)).map(\.id).sorted()
        XCTAssertEqual(again, expected)
        let second = try XCTUnwrap(SSHTunnels.shared.processID(for: pinned))
        XCTAssertNotEqual(first, second, "a new ssh serves the tunnel")

        // The exec hijack goes through the tunnel's socket too.
        let id = try await client.createContainer(name: nil, body: [
            "Image": "jarvis-test/busybox:latest", "Cmd": ["sleep", "30"], "Labels": ["jarvis.test": "1"],
        ])
        defer { Task { try? await direct.removeContainer(id, force: true) } }
        try await client.startContainer(id)
        let exec = try await client.createExec(id, ExecOptions(cmd: ["sh", "-c", "echo via-ssh-$((6*7))"], tty: true))
        let connection = try await client.startExec(exec)
        var output = ""
        while let chunk = try connection.read() { output += String(decoding: chunk, as: UTF8.self) }
        connection.close()
        XCTAssertTrue(output.contains("via-ssh-42"), output)

        // Streams go through the tunnel as well.
        let events = try await client.openStream(EngineRequest("GET", "/events", query: [("since", "0"), ("until", String(Int(Date().timeIntervalSince1970)))], timeout: 0))
        _ = try await events.next()
        // The socket file gone under a live ssh: the failed request ends that ssh, the next starts a new one.
        let socket = "\(SSHTunnels.shared.directory)/\(getpid())/\(SSHTunnels.id(pinned))/docker.sock"
        XCTAssertEqual(unlink(socket), 0, socket)
        await expectEngineError(.engineUnreachable) { _ = try await client.ping() }
        let pinged = try await client.ping()
        XCTAssertTrue(pinged)
        let third = try XCTUnwrap(SSHTunnels.shared.processID(for: pinned))
        XCTAssertNotEqual(third, second)

        SSHTunnels.shared.stop(pinned)
        XCTAssertNil(SSHTunnels.shared.processID(for: pinned))
        for _ in 0..<50 where kill(third, 0) == 0 || kill(second, 0) == 0 { try await Task.sleep(nanoseconds: 100_000_000) }
        XCTAssertNotEqual(kill(second, 0), 0, "the ssh with the dead socket was ended (and reaped)")
        XCTAssertNotEqual(kill(third, 0), 0, "stop ends (and reaps) the ssh process")
    }

    func testChangedHostKeyIsRefusedNamingBothFingerprints() async throws {
        daemons.append(try await ssh.start(port: Self.changedKeyPort, hostKey: "hostkey2"))
        let pinned = try endpoint(port: Self.changedKeyPort, pin: try ssh.publicKeyLine("hostkey"))
        let error = await expectEngineError(.hostKeyChanged) { _ = try await EngineProbe.probe(DockerHost(.ssh(pinned))) }
        let message = error?.message ?? ""
        XCTAssertTrue(message.contains(try ssh.fingerprint("hostkey")), message)
        XCTAssertTrue(message.contains(try ssh.fingerprint("hostkey2")), message)
        // A client (not only the probe) gets the same refusal.
        await expectEngineError(.hostKeyChanged) { _ = try await DockerClient(host: DockerHost(.ssh(pinned))).ping() }
    }

    func testWrongKeyIsAuthFailure() async throws {
        let stranger = try endpoint(key: "stranger")
        let error = await expectEngineError(.sshAuthFailed) { _ = try await EngineProbe.probe(DockerHost(.ssh(stranger))) }
        XCTAssertTrue(error?.message.contains("refused our key") == true, error?.message ?? "")
        XCTAssertFalse(error?.message.contains("PRIVATE KEY") == true)
    }

    func testRefusedPortAndUnreadableKey() async throws {
        await expectEngineError(.connectionRefused) { _ = try await EngineProbe.probe(DockerHost(.ssh(try self.endpoint(port: 24119)))) }
        var broken = try endpoint(pin: try ssh.publicKeyLine("hostkey"))
        broken.privateKeyPEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
        endpoints.append(broken)
        await expectEngineError(.invalidCredentials) { _ = try await EngineProbe.probe(DockerHost(.ssh(broken))) }
    }

    func testAMissingRemoteSocketIsReportedAsSuch() async throws {
        var missing = try endpoint()
        missing.remoteSocket = "/run/jarvis-no-engine.sock"
        endpoints.append(missing)
        let error = await expectEngineError(.engineUnreachable) { _ = try await EngineProbe.probe(DockerHost(.ssh(missing))) }
        XCTAssertTrue(error?.message.contains("remote engine socket") == true, error?.message ?? "")
    }

    func testEndpointParsingAndDescription() throws {
        let endpoint = try SSHEndpoint.parse("ssh://jarvis@10.0.0.2:2222", privateKeyPEM: try ssh.key("client"))
        XCTAssertEqual(endpoint.user, "jarvis")
        XCTAssertEqual(endpoint.host, "10.0.0.2")
        XCTAssertEqual(endpoint.port, 2222)
        XCTAssertEqual(endpoint.remoteSocket, "/var/run/docker.sock")
        XCTAssertEqual(try SSHEndpoint.parse("ssh://jarvis@far", privateKeyPEM: "k").port, 22)
        XCTAssertEqual(DockerHost(.ssh(endpoint)).description, "ssh://jarvis@10.0.0.2:2222")
        XCTAssertThrowsError(try SSHEndpoint.parse("ssh://-oProxyCommand=x@h", privateKeyPEM: "k"))
        XCTAssertThrowsError(try SSHEndpoint.parse("ssh://far", privateKeyPEM: "k"))
        XCTAssertFalse(String(reflecting: DockerHost(.ssh(endpoint))).contains("PRIVATE"))
    }
}
