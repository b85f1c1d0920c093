@testable import DockerEngine
import Foundation
import XCTest

/// Real helpers for the remote-transport tests: openssl for a throw-away CA, socat as
/// the TLS front of the private engine, and a private sshd. Ports are 24xxx only.
enum Fixture {
    /// The private engine's socket (JARVIS_TEST_DOCKER_HOST), or a skip.
    static func engineSocket() throws -> String {
        guard let value = ProcessInfo.processInfo.environment["JARVIS_TEST_DOCKER_HOST"] else {
            if ProcessInfo.processInfo.environment["JARVIS_REQUIRE_ENGINE"] == "1" {
                XCTFail("JARVIS_TEST_DOCKER_HOST is not set but an engine is required")
            }
            throw XCTSkip("no private engine (set JARVIS_TEST_DOCKER_HOST)")
        }
        guard case let .unix(path) = try DockerHost.parse(value).transport else { throw XCTSkip("engine is not on a unix socket") }
        return path
    }

    /// Runs a command to the end; throws with its stderr when it fails.
    @discardableResult
    static func run(_ path: String, _ arguments: [String], in directory: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "fixture", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "\(path) \(arguments.joined(separator: " ")): \(String(decoding: errors, as: UTF8.self))"])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Starts a long-running helper; the caller kills it. Not Foundation's Process: it notices
    /// an exit by EOF on a socket the child inherits, and sshd closes every inherited descriptor
    /// at start, which leaves Foundation's process thread stuck in waitpid for good.
    static func start(_ path: String, _ arguments: [String]) throws -> ChildProcess {
        try ChildProcess(path, arguments, captureStdout: false)
    }

    static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// Waits until something accepts TCP connections on 127.0.0.1:`port`.
    static func waitForPort(_ port: Int) async throws {
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if connected { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        XCTFail("nothing listens on port \(port)")
    }
}

/// A throw-away PKI: a CA, another CA, server certificates (valid, expired) and client certificates.
struct TLSFixture {
    let directory: String

    init() throws {
        directory = "/tmp/jv-transport-tls-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try makeCA("ca", "Jarvis Test CA")
        try makeCA("badca", "Somebody Else CA")
        let server = "subjectAltName=DNS:engine.jarvis.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
        try sign("server", cn: "engine.jarvis.test", by: "ca", days: 30, extensions: server)
        try sign("expired", cn: "engine.jarvis.test", by: "ca", days: -1, extensions: server)
        let client = "extendedKeyUsage=clientAuth\n"
        try sign("client", cn: "jarvis client", by: "ca", days: 30, extensions: client)
        try sign("badclient", cn: "jarvis client", by: "badca", days: 30, extensions: client)
    }

    private func makeCA(_ name: String, _ cn: String) throws {
        try Fixture.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                             "-keyout", "\(name).key", "-out", "\(name).pem", "-days", "30", "-subj", "/O=Jarvis Tests/CN=\(cn)"],
                        in: directory)
    }

    private func sign(_ name: String, cn: String, by ca: String, days: Int, extensions: String) throws {
        try extensions.write(toFile: "\(directory)/\(name).ext", atomically: true, encoding: .utf8)
        try Fixture.run("/usr/bin/openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                             "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(cn)"], in: directory)
        try Fixture.run("/usr/bin/openssl", ["x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key",
                                             "-CAcreateserial", "-days", String(days), "-extfile", "\(name).ext", "-out", "\(name).pem"], in: directory)
    }

    func pem(_ name: String) throws -> String { try Fixture.read("\(directory)/\(name)") }

    /// CA, client certificate and key as an operator would paste them.
    func material(ca: String = "ca", client: String = "client", serverName: String? = "engine.jarvis.test") throws -> TLSMaterial {
        TLSMaterial(caPEM: try pem("\(ca).pem"), certPEM: try pem("\(client).pem"), keyPEM: try pem("\(client).key"), serverName: serverName)
    }

    /// `openssl x509 -fingerprint -sha256` of a certificate, as lower-case hex without colons.
    func fingerprint(_ name: String) throws -> String {
        let line = try Fixture.run("/usr/bin/openssl", ["x509", "-in", "\(directory)/\(name).pem", "-noout", "-fingerprint", "-sha256"])
        return String(line.split(separator: "=").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: ":", with: "").lowercased()
    }

    /// socat terminating TLS (client certificate required, signed by `ca`) in front of the engine socket.
    func listen(port: Int, serverCert: String = "server", engineSocket: String) async throws -> ChildProcess {
        let process = try Fixture.start("/usr/bin/socat", [
            "OPENSSL-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork,cert=\(directory)/\(serverCert).pem,key=\(directory)/\(serverCert).key,cafile=\(directory)/ca.pem,verify=1",
            "UNIX-CONNECT:\(engineSocket)",
        ])
        try await Fixture.waitForPort(port)
        return process
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A private sshd on 127.0.0.1 with its own host key, letting root in with one throw-away key.
struct SSHFixture {
    let directory: String

    init() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") else {
            throw XCTSkip("openssh-server is not installed (scripts/install-deps.sh test)")
        }
        directory = "/tmp/jv-transport-ssh-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in ["hostkey", "hostkey2", "client", "stranger"] {
            try Fixture.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "jarvis-test", "-f", "\(directory)/\(name)"])
        }
        try FileManager.default.copyItem(atPath: "\(directory)/client.pub", toPath: "\(directory)/authorized_keys")
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
    }

    /// Starts sshd on `port` presenting `hostKey`.
    func start(port: Int, hostKey: String = "hostkey") async throws -> ChildProcess {
        let config = """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(directory)/\(hostKey)
            PidFile none
            AuthorizedKeysFile \(directory)/authorized_keys
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            AllowStreamLocalForwarding yes
            LogLevel ERROR

            """
        let path = "\(directory)/sshd-\(port).conf"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let process = try Fixture.start("/usr/sbin/sshd", ["-D", "-e", "-f", path])
        try await Fixture.waitForPort(port)
        return process
    }

    func key(_ name: String) throws -> String { try Fixture.read("\(directory)/\(name)") }

    /// `ssh-keygen -l` of a public key: the fingerprint an operator compares.
    func fingerprint(_ name: String) throws -> String {
        let line = try Fixture.run("/usr/bin/ssh-keygen", ["-l", "-f", "\(directory)/\(name).pub"])
        return String(line.split(separator: " ")[1])
    }

    /// The `type base64` part of a public key file.
    func publicKeyLine(_ name: String) throws -> String {
        try Fixture.read("\(directory)/\(name).pub").split(separator: " ").prefix(2).joined(separator: " ")
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// Asserts that `body` throws an `EngineError` with `code`; returns it for message checks.
@discardableResult
func expectEngineError(_ code: EngineError.Code, file: StaticString = #filePath, line: UInt = #line,
                       _ body: () async throws -> Void) async -> EngineError? {
    do {
        try await body()
        XCTFail("expected \(code), nothing was thrown", file: file, line: line)
    } catch let error as EngineError {
        XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected EngineError \(code), got \(error)", file: file, line: line)
    }
    return nil
}
