@testable import DockerEngine
import Foundation
import XCTest

/// Connection-level errors that need no engine: a silent peer and an engine too old to
/// speak to (no Docker older than 20.10 is at hand, so socat answers /_ping as one would).
final class ConnectionErrorTests: XCTestCase {
    private var helpers: [ChildProcess] = []

    override func tearDown() {
        for helper in helpers { kill(helper.pid, SIGKILL) }
    }

    private func serve(port: Int, _ script: String) async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/socat") else { throw XCTSkip("socat is not installed") }
        helpers.append(try Fixture.start("/usr/bin/socat", ["TCP-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork", "SYSTEM:\(script)"]))
        try await Fixture.waitForPort(port)
    }

    func testASilentPeerIsATimeoutAndCountsAsUnreachable() async throws {
        try await serve(port: 24105, "sleep 20")
        let client = DockerClient(host: try DockerHost.parse("tcp://127.0.0.1:24105"))
        let started = Date()
        let error = await expectEngineError(.timeout) {
            _ = try await client.send(EngineRequest("GET", "/_ping", timeout: 2, versioned: false))
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 6)
        XCTAssertTrue(error?.code.isUnreachable == true)
        XCTAssertTrue(error?.message.contains("127.0.0.1:24105") == true, error?.message ?? "")
    }

    func testAnEngineBelowAPI141IsTooOld() async throws {
        // A script file: socat's address syntax gives ':' and ',' meanings of its own.
        let script = "/tmp/jv-transport-old-engine.sh"
        try "#!/bin/sh\nread line\nprintf 'HTTP/1.1 200 OK\\r\\nApi-Version: 1.40\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nOK'\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        defer { unlink(script) }
        try await serve(port: 24104, script)
        let host = try DockerHost.parse("tcp://127.0.0.1:24104")
        let error = await expectEngineError(.engineTooOld) { _ = try await EngineProbe.probe(host) }
        XCTAssertTrue(error?.message.contains("1.40") == true, error?.message ?? "")
        XCTAssertEqual(EngineError.Code.unsupportedVersion, .engineTooOld, "the old name is the same code")
        await expectEngineError(.engineTooOld) { _ = try await DockerClient(host: host).containers() }
    }

    func testParsingKeepsPlainTCPAndIPv6() throws {
        guard case let .tcp(host, port) = try DockerHost.parse("tcp://[::1]:2375").transport else { return XCTFail("not tcp") }
        XCTAssertEqual(host, "::1")
        XCTAssertEqual(port, 2375)
        XCTAssertEqual(try DockerHost.parse("tcp://[::1]:2375").description, "tcp://[::1]:2375")
        XCTAssertThrowsError(try DockerHost.parse("tcp://engine"))
        XCTAssertEqual(try DockerHost.parse("unix:///run/docker.sock").description, "unix:///run/docker.sock")
    }
}
