import DockerEngine
import Foundation
@testable import JarvisCore
import XCTest

final class ContainerSpecTests: XCTestCase {
    private func request(_ json: String) throws -> ContainerCreateRequest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(ContainerCreateRequest.self, from: Data(json.utf8))
    }

    private func field(of json: String) -> String? {
        do {
            _ = try ContainerSpec.validate(try request(json))
            return nil
        } catch let error as JarvisError {
            return error.field
        } catch {
            return "decode: \(error)"
        }
    }

    func testPortSyntaxesOfTheDockerCLI() throws {
        let cases: [(String, String, Int?, Int, String)] = [
            ("80", "", nil, 80, "tcp"), ("8080:80", "", 8080, 80, "tcp"), ("127.0.0.1:8080:80/udp", "127.0.0.1", 8080, 80, "udp"),
            ("[::1]:8080:80", "::1", 8080, 80, "tcp"), ("127.0.0.1::80", "127.0.0.1", nil, 80, "tcp"),
        ]
        for (text, ip, host, container, proto) in cases {
            let ports = try ContainerSpec.parsePort(text, field: "ports[0]")
            XCTAssertEqual(ports, [.init(field: "ports[0]", hostIP: ip, hostPort: host, containerPort: container, proto: proto)], text)
        }
        for bad in ["", "80:xx", "0", "70000:80", "1.2.3:80:80", "80/icmp", "[::1:80"] {
            XCTAssertThrowsError(try ContainerSpec.parsePort(bad, field: "ports[3]"), bad) { error in
                XCTAssertEqual((error as? JarvisError)?.field, "ports[3]")
            }
        }
    }

    /// `docker run -p` ranges, as go-connections' nat.ParsePortSpec reads them.
    func testPortRangesOfTheDockerCLI() throws {
        let pairs = try ContainerSpec.parsePort("127.0.0.1:8000-8010:80-90/udp", field: "ports[0]")
        XCTAssertEqual(pairs.count, 11)
        XCTAssertEqual(pairs.first, .init(field: "ports[0]", hostIP: "127.0.0.1", hostPort: 8000, containerPort: 80, proto: "udp"))
        XCTAssertEqual(pairs.last, .init(field: "ports[0]", hostIP: "127.0.0.1", hostPort: 8010, containerPort: 90, proto: "udp"))
        XCTAssertEqual(try ContainerSpec.parsePort("9000-9002", field: "ports[0]").map(\.containerPort), [9000, 9001, 9002])
        XCTAssertEqual(try ContainerSpec.parsePort("9000-9002", field: "ports[0]").map(\.hostPort), [nil, nil, nil])
        let pick = try ContainerSpec.parsePort("8000-8010:80", field: "ports[0]")
        XCTAssertEqual(pick.count, 1, "a host range for one container port: the engine picks a free one")
        XCTAssertEqual(pick[0].hostRange, 8000...8010)
        XCTAssertNil(pick[0].hostPort)
        XCTAssertEqual(try ContainerSpec.parsePort("8000-8000:80-80", field: "ports[0]").map(\.hostPort), [8000])

        for (bad, says) in [("8000-8005:80-90", "host ports 8000-8005 (6 ports) and container ports 80-90 (11 ports) differ in length"),
                            ("8000:80-81", "(1 port) and container ports 80-81 (2 ports)"),
                            ("90-80", "ends before it starts"), ("80-", "range"), ("-80", "range"), ("1-2000", "at most 1000"),
                            ("8000-70000:80", "1-65535")] {
            XCTAssertThrowsError(try ContainerSpec.parsePort(bad, field: "ports[2]"), bad) { error in
                let error = error as? JarvisError
                XCTAssertEqual(error?.field, "ports[2]", bad)
                XCTAssertTrue(error?.message.hasPrefix("ports[2]: ") == true && error?.message.contains(says) == true, "\(bad): \(error?.message ?? "")")
            }
        }
    }

    func testARangeBecomesOneEngineBindingPerPort() throws {
        let spec = try ContainerSpec.validate(try request(#"{"image": "x", "ports": ["127.0.0.1:8000-8001:80-81", "7000-7010:53/udp"]}"#))
        let bindings = (spec.engineBody["HostConfig"] as? [String: Any])?["PortBindings"] as? [String: [[String: String]]]
        XCTAssertEqual(bindings?["80/tcp"], [["HostIp": "127.0.0.1", "HostPort": "8000"]])
        XCTAssertEqual(bindings?["81/tcp"], [["HostIp": "127.0.0.1", "HostPort": "8001"]])
        XCTAssertEqual(bindings?["53/udp"], [["HostIp": "", "HostPort": "7000-7010"]])
        XCTAssertEqual(Set((spec.engineBody["ExposedPorts"] as? [String: Any])?.keys.map { $0 } ?? []), ["80/tcp", "81/tcp", "53/udp"])
        XCTAssertEqual(field(of: #"{"image": "x", "ports": ["8000-8002:80-82", "8002:90"]}"#), "ports[1]", "ranges clash like single ports")
        XCTAssertEqual(field(of: #"{"image": "x", "ports": ["1-600", "601-1200"]}"#), "ports[1]", "at most 1000 ports in all")
    }

    func testMemorySizes() {
        XCTAssertEqual(ContainerSpec.parseMemory("512m"), 512 << 20)
        XCTAssertEqual(ContainerSpec.parseMemory("1.5GiB"), 3 << 29)
        XCTAssertEqual(ContainerSpec.parseMemory("2048"), 2048)
        XCTAssertEqual(ContainerSpec.parseMemory("1 g"), 1 << 30)
        XCTAssertNil(ContainerSpec.parseMemory("lots"))
        XCTAssertNil(ContainerSpec.parseMemory("12q"))
        XCTAssertNil(ContainerSpec.parseMemory("-5m"))
    }

    func testShellWordsRespectQuotesAndEscapes() throws {
        XCTAssertEqual(try ShellWords.split(#"sh -c 'echo "a b"; exit 1'"#), ["sh", "-c", #"echo "a b"; exit 1"#])
        XCTAssertEqual(try ShellWords.split(#"echo a\ b "" x"#), ["echo", "a b", "", "x"])
        XCTAssertThrowsError(try ShellWords.split("echo 'open"))
    }

    func testEveryProblemIsReportedAtOnceWithItsField() {
        XCTAssertThrowsError(try ContainerSpec.validate(try request(
            #"{"image": "a b", "ports": ["80", "80:xx"], "env": ["A=1", "NOVALUE"], "memory": "lots", "cpus": 0}"#))) { error in
            let error = error as? JarvisError
            XCTAssertEqual(error?.field, "image", "the first problem is the error itself")
            XCTAssertEqual(error?.issues?.map(\.path), ["image", "env[1]", "ports[1]", "memory", "cpus"])
            XCTAssertEqual(error?.issues?[2].message.hasPrefix("invalid port"), true, "the message without the field in front")
        }
    }

    func testEveryFieldIsCheckedAndNamed() {
        XCTAssertEqual(field(of: #"{"image": ""}"#), "image")
        XCTAssertEqual(field(of: #"{"image": "a b"}"#), "image")
        XCTAssertEqual(field(of: #"{"image": "x", "name": "-bad"}"#), "name")
        XCTAssertEqual(field(of: #"{"image": "x", "env": ["A=1", "=2"]}"#), "env[1]")
        XCTAssertEqual(field(of: #"{"image": "x", "ports": ["80", "8080:80", "8080:81"]}"#), "ports[2]")
        XCTAssertNil(field(of: #"{"image": "x", "ports": ["127.0.0.1:8080:80", "127.0.0.1:8080:80/udp"]}"#), "tcp and udp may share a number")
        XCTAssertEqual(field(of: #"{"image": "x", "volumes": ["vol:/a", "/a/../b:/c"]}"#), "volumes[1]")
        XCTAssertEqual(field(of: #"{"image": "x", "volumes": ["vol:/a:rx"]}"#), "volumes[0]")
        XCTAssertEqual(field(of: #"{"image": "x", "restart_policy": "on-failure:x"}"#), "restart_policy")
        XCTAssertEqual(field(of: #"{"image": "x", "memory": "1k"}"#), "memory")
        XCTAssertEqual(field(of: #"{"image": "x", "cpus": 0}"#), "cpus")
        XCTAssertEqual(field(of: #"{"image": "x", "user": "root;rm"}"#), "user")
        XCTAssertEqual(field(of: #"{"image": "x", "working_dir": "relative"}"#), "working_dir")
        XCTAssertEqual(field(of: #"{"image": "x", "hostname": "bad_host"}"#), "hostname")
        XCTAssertEqual(field(of: #"{"image": "x", "command": []}"#), "command")
    }

    func testAValidRequestBecomesTheEngineBody() throws {
        let spec = try ContainerSpec.validate(try request("""
            {"image": "busybox:1", "name": "web", "command": "httpd -f -p 80", "ports": ["127.0.0.1:8080:80"],
             "volumes": ["data:/data:ro", "/srv/www:/www"], "env": ["A=1"], "memory": "64m", "cpus": 1.5,
             "restart_policy": "on-failure:2", "labels": {"k": "v"}, "network": "backend", "start": false}
            """))
        XCTAssertTrue(spec.hasBindMounts)
        XCTAssertFalse(spec.start)
        let body = spec.engineBody
        XCTAssertEqual(body["Cmd"] as? [String], ["httpd", "-f", "-p", "80"])
        let host = try XCTUnwrap(body["HostConfig"] as? [String: Any])
        XCTAssertEqual(host["Memory"] as? Int64, 64 << 20)
        XCTAssertEqual(host["NanoCpus"] as? Int64, 1_500_000_000)
        XCTAssertEqual(host["Binds"] as? [String], ["data:/data:ro", "/srv/www:/www"])
        XCTAssertEqual(host["NetworkMode"] as? String, "backend")
        XCTAssertEqual((host["RestartPolicy"] as? [String: Any])?["MaximumRetryCount"] as? Int, 2)
        XCTAssertEqual((host["PortBindings"] as? [String: [[String: String]]])?["80/tcp"], [["HostIp": "127.0.0.1", "HostPort": "8080"]])
    }

    func testCPUPercentIsComputedAsDockerStatsDoes() {
        let before = CPUCounters(containerTotal: 1_000, systemTotal: 10_000, onlineCPUs: 4)
        let after = CPUCounters(containerTotal: 1_500, systemTotal: 12_000, onlineCPUs: 4)
        XCTAssertEqual(after.percent(since: before)!, 100, accuracy: 0.001)  // 500/2000 × 4 CPUs
        XCTAssertNil(before.percent(since: after), "counters went backwards: a restart")
    }

    func testLogRequestParsing() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let request = try LogRequest.parse(["since": "15m", "until": "2026-01-02T03:04:05.5Z", "stream": "stderr", "q": "Err"], now: now)
        XCTAssertEqual(request.since, "1799999100.000000000")
        XCTAssertEqual(request.until, "1767323045.500000000")
        XCTAssertFalse(request.stdout)
        XCTAssertEqual(request.tail, LogRequest.defaultTail)
        XCTAssertNil(request.engineOptions.tail, "one stream or a search reads the window, then keeps the last lines")
        XCTAssertTrue(request.admits(LogLine(stream: .stderr, timestamp: nil, text: "an ERROR here")))
        XCTAssertFalse(request.admits(LogLine(stream: .stderr, timestamp: nil, text: "fine")))
        XCTAssertThrowsError(try LogRequest.parse(["tail": "10001"]))
        XCTAssertThrowsError(try LogRequest.parse(["tail": "all"]))
        XCTAssertNoThrow(try LogRequest.parse(["tail": "all"], defaultTail: nil, maxTail: nil))
        XCTAssertThrowsError(try LogRequest.parse(["since": "last week"]))
        XCTAssertThrowsError(try LogRequest.parse(["q": "(", "regex": "1"])) { error in
            XCTAssertEqual((error as? JarvisError)?.code, "invalid_regex")
        }
        let before = try LogRequest.parse(["before": "2026-01-02T03:04:05.000000002Z"])
        XCTAssertTrue(before.admits(LogLine(stream: .stdout, timestamp: "2026-01-02T03:04:05.000000001Z", text: "x")))
        XCTAssertFalse(before.admits(LogLine(stream: .stdout, timestamp: "2026-01-02T03:04:05.000000002Z", text: "x")))
    }

    func testHealthIsReadFromTheStatusText() {
        XCTAssertEqual(ContainerSnapshot.health(fromStatus: "Up 2 minutes (healthy)"), "healthy")
        XCTAssertEqual(ContainerSnapshot.health(fromStatus: "Up 3 seconds (health: starting)"), "starting")
        XCTAssertEqual(ContainerSnapshot.health(fromStatus: "Up 1 hour (unhealthy)"), "unhealthy")
        XCTAssertNil(ContainerSnapshot.health(fromStatus: "Exited (0) 5 minutes ago"))
    }

    func testWatermarkWaitersWakeInOrderOrTimeOut() async {
        let mark = Watermark()
        let woke = Task { await mark.wait(for: 10, timeout: 5); return Date() }
        try? await Task.sleep(nanoseconds: 50_000_000)
        await mark.advance(to: 10)
        _ = await woke.value
        let started = Date()
        await mark.wait(for: 99, timeout: 0.2)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.19)
        await mark.wait(for: 5, timeout: 5)  // already past: returns at once
    }
}

final class LogInstantTests: XCTestCase {
    func testTheFastParserAgreesWithTheGeneralOne() {
        for text in ["2026-11-22T16:44:35.445934931Z", "2026-11-22T16:44:35Z", "2000-02-29T00:00:00.1Z", "1970-01-01T00:00:00.000000001Z"] {
            let fast = LogInstant.parseUTC(text)
            let formatter = ISO8601DateFormatter()
            let whole = formatter.date(from: text.replacingOccurrences(of: #"\.[0-9]+"#, with: "", options: .regularExpression))!
            XCTAssertEqual(fast?.seconds, Int64(whole.timeIntervalSince1970), text)
        }
        XCTAssertEqual(LogInstant.parseUTC("2026-11-22T16:44:35.5Z")?.nanos, 500_000_000)
        XCTAssertNil(LogInstant.parseUTC("2026-13-22T16:44:35Z"))
        XCTAssertNil(LogInstant.parseUTC("2026-11-22T16:44:35.1234567891Z"))
        XCTAssertNotNil(LogInstant("2026-11-22T17:44:35.5+01:00"), "offsets still parse through the general path")
        XCTAssertEqual(LogInstant("2026-11-22T17:44:35.5+01:00"), LogInstant("2026-11-22T16:44:35.5Z"))
    }
}
