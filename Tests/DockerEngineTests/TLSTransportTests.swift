@testable import DockerEngine
import Foundation
import XCTest

/// TLS hosts against the private engine behind socat's TLS (client certificate required),
/// with certificates from a throw-away CA made by openssl in the test.
final class TLSTransportTests: XCTestCase {
    private static let port = 24101
    private static let expiredPort = 24102
    private static let refusedPort = 24103
    private var engineSocket = ""
    private var pki: TLSFixture!
    private var listeners: [ChildProcess] = []
    private var created: [(DockerClient, String)] = []

    override func setUp() async throws {
        engineSocket = try Fixture.engineSocket()
        pki = try TLSFixture()
        listeners.append(try await pki.listen(port: Self.port, engineSocket: engineSocket))
    }

    override func tearDown() async throws {
        for (client, id) in created { try? await client.removeContainer(id, force: true) }
        for listener in listeners { kill(listener.pid, SIGKILL) }
        pki?.remove()
    }

    private func tlsHost(_ material: TLSMaterial, port: Int = TLSTransportTests.port) -> DockerHost {
        DockerHost(.tls(host: "127.0.0.1", port: port, material))
    }

    func testPingListStreamAndExecOverTLS() async throws {
        let client = DockerClient(host: tlsHost(try pki.material()))
        let pinged = try await client.ping()
        XCTAssertTrue(pinged)
        let name = "jv-tls-\(UUID().uuidString.prefix(6).lowercased())"
        let id = try await client.createContainer(name: name, body: [
            "Image": "jarvis-test/busybox:latest", "Cmd": ["sh", "-c", "echo over-tls; sleep 30"], "Labels": ["jarvis.test": "1"],
        ])
        created.append((client, id))
        try await client.startContainer(id)
        let listed = try await client.containers(ListContainersOptions(all: true, filters: ["name": [name]]))
        XCTAssertEqual(listed.map(\.id), [id])

        // A stream (openStream through the curl loop) over TLS.
        var lines: [String] = []
        for try await line in try await client.logs(id, options: LogsOptions(follow: true, timestamps: false)) {
            lines.append(line.text)
            break
        }
        XCTAssertEqual(lines, ["over-tls"])

        // The exec hijack: CONNECT_ONLY, then curl_easy_send/recv speak TLS.
        let exec = try await client.createExec(id, ExecOptions(cmd: ["sh", "-c", "read x; echo got-$x-$((6*7))"], tty: true))
        let connection = try await client.startExec(exec)
        defer { connection.close() }
        try connection.write(Array("tls\n".utf8))
        var output = ""
        while !output.contains("got-tls-42"), let chunk = try connection.read() { output += String(decoding: chunk, as: UTF8.self) }
        XCTAssertTrue(output.contains("got-tls-42"), output)
    }

    func testRoundsOfStatsCallsKeepTheirTLSConnections() async throws {
        // The stats sampler asks in rounds of concurrent calls. curl's default cache keeps 4
        // connections per transfer in flight *now*, so it closed some after each round and the
        // next round opened them again, each with a TLS set-up (the host's PEMs parsed again).
        let client = DockerClient(host: tlsHost(try pki.material()))
        var ids: [String] = []
        for i in 0..<8 {
            let id = try await client.createContainer(name: "jv-tls-rounds-\(i)-\(UUID().uuidString.prefix(4).lowercased())", body: [
                "Image": "jarvis-test/busybox:latest", "Cmd": ["sleep", "300"], "Labels": ["jarvis.test": "1"],
            ])
            created.append((client, id))
            ids.append(id)
            try await client.startContainer(id)
        }
        func round() async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids + ids { group.addTask { _ = try await client.containerStats(id) } }
                try await group.waitForAll()
            }
        }
        try await round()
        let before = DockerClient.connectionsOpened
        for _ in 0..<3 {
            try await Task.sleep(nanoseconds: 200_000_000)
            try await round()
        }
        let opened = DockerClient.connectionsOpened - before
        XCTAssertLessThanOrEqual(opened, 1, "three more rounds of 16 calls opened \(opened) new TLS connections")
    }

    func testNoServerNameChecksTheAddressAgainstTheCertificate() async throws {
        // The certificate carries IP:127.0.0.1, so the address itself verifies.
        let client = DockerClient(host: tlsHost(try pki.material(serverName: nil)))
        let pinged = try await client.ping()
        XCTAssertTrue(pinged)
    }

    func testWrongCAIsUntrusted() async throws {
        let client = DockerClient(host: tlsHost(try pki.material(ca: "badca")))
        let error = await expectEngineError(.tlsUntrusted) { _ = try await client.ping() }
        XCTAssertTrue(error?.message.contains("not trusted by the given CA") == true, error?.message ?? "")
        XCTAssertTrue(error?.code.isUnreachable == true)
    }

    func testServerNameMismatchIsUntrusted() async throws {
        let client = DockerClient(host: tlsHost(try pki.material(serverName: "other.jarvis.test")))
        let error = await expectEngineError(.tlsUntrusted) { _ = try await client.ping() }
        XCTAssertTrue(error?.message.contains("\"other.jarvis.test\"") == true, error?.message ?? "")
    }

    func testClientCertificateFromAnotherCAIsRejected() async throws {
        let client = DockerClient(host: tlsHost(try pki.material(client: "badclient")))
        let error = await expectEngineError(.tlsClientRejected) { _ = try await client.ping() }
        XCTAssertTrue(error?.message.contains("refused our client certificate") == true, error?.message ?? "")
        await expectEngineError(.tlsClientRejected) { _ = try await EngineProbe.probe(self.tlsHost(try self.pki.material(client: "badclient"))) }
    }

    func testExpiredServerCertificate() async throws {
        listeners.append(try await pki.listen(port: Self.expiredPort, serverCert: "expired", engineSocket: engineSocket))
        let error = await expectEngineError(.tlsExpired) { _ = try await EngineProbe.probe(self.tlsHost(try self.pki.material(), port: Self.expiredPort)) }
        XCTAssertTrue(error?.message.contains("expired") == true, error?.message ?? "")
    }

    func testRefusedPort() async throws {
        let error = await expectEngineError(.connectionRefused) {
            _ = try await EngineProbe.probe(self.tlsHost(try self.pki.material(), port: Self.refusedPort))
        }
        XCTAssertTrue(error?.message.contains("127.0.0.1:\(Self.refusedPort)") == true, error?.message ?? "")
        // Plain TCP to the same port: the same code.
        let plain = DockerClient(host: DockerHost(.tcp(host: "127.0.0.1", port: Self.refusedPort)))
        await expectEngineError(.connectionRefused) { _ = try await plain.ping() }
    }

    func testProbeReportsEngineFactsAndTheServerCertificate() async throws {
        let result = try await EngineProbe.probe(tlsHost(try pki.material()))
        XCTAssertGreaterThanOrEqual(APIVersion(result.engine.apiVersion) ?? APIVersion(0, 0), .oldestSupported)
        XCTAssertFalse(result.engine.version.isEmpty)
        XCTAssertGreaterThan(result.engine.cpus, 0)
        XCTAssertGreaterThan(result.engine.memoryBytes, 0)
        XCTAssertFalse(result.engine.storageDriver.isEmpty)
        XCTAssertEqual(result.engine.swarm, "inactive")
        XCTAssertGreaterThan(result.latencyMs, 0)
        let certificate = try XCTUnwrap(result.serverCertificate)
        XCTAssertEqual(certificate.sha256, try pki.fingerprint("server"))
        XCTAssertEqual(result.fingerprint, certificate.sha256)
        XCTAssertEqual(certificate.subject, "CN=engine.jarvis.test")
        XCTAssertEqual(certificate.issuer, "CN=Jarvis Test CA,O=Jarvis Tests")
        XCTAssertGreaterThan(certificate.notAfter, Date().addingTimeInterval(29 * 86400))
        XCTAssertNil(result.hostKey)
    }

    func testCredentialFactsAndUnreadableCredentials() async throws {
        let material = try pki.material()
        let facts = try material.credentialFacts()
        XCTAssertEqual(facts.ca.subject, "CN=Jarvis Test CA,O=Jarvis Tests")
        XCTAssertEqual(facts.ca.sha256, try pki.fingerprint("ca"))
        XCTAssertEqual(facts.client.subject, "CN=jarvis client")
        XCTAssertEqual(facts.client.sha256, try pki.fingerprint("client"))

        var garbage = material
        garbage.keyPEM = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
        await expectEngineError(.invalidCredentials) { _ = try await EngineProbe.probe(self.tlsHost(garbage)) }
        var mismatched = material
        mismatched.keyPEM = try pki.pem("badclient.key")
        let error = await expectEngineError(.invalidCredentials) { _ = try await EngineProbe.probe(self.tlsHost(mismatched)) }
        XCTAssertTrue(error?.message.contains("does not belong") == true, error?.message ?? "")
        XCTAssertThrowsError(try CertificateFacts.parse(pem: "hello"))
    }

    func testDescriptionNeverShowsKeyMaterial() throws {
        let material = try pki.material()
        let host = tlsHost(material)
        XCTAssertEqual(host.description, "tcp://127.0.0.1:\(Self.port)")
        XCTAssertFalse("\(host)".contains("PRIVATE"))
        XCTAssertFalse(String(reflecting: material).contains("PRIVATE"), "debug descriptions must not show the key either")
    }
}
