import DockerEngine
import Foundation
import XCTest

/// Against the private engine that `make test` starts (JARVIS_TEST_DOCKER_HOST).
/// Never the host's engine: without the variable these tests are skipped, and
/// `make test` sets JARVIS_REQUIRE_ENGINE=1 so a missing engine fails instead.
final class EngineIntegrationTests: XCTestCase {
    private var client: DockerClient!
    private var created: [String] = []
    static let image = "jarvis-test/busybox:latest"

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
        for id in created { try? await client?.removeContainer(id, force: true) }
    }

    private func makeContainer(_ script: String, tty: Bool = false) async throws -> String {
        let name = "jv-it-\(UUID().uuidString.prefix(8).lowercased())"
        let id = try await client.createContainer(name: name, body: [
            "Image": Self.image, "Cmd": ["sh", "-c", script], "Tty": tty, "Labels": ["jarvis.test": "1"],
        ])
        created.append(id)
        return id
    }

    func testNegotiatesAndDescribesTheEngine() async throws {
        let version = try await client.apiVersion()
        XCTAssertGreaterThanOrEqual(version, APIVersion.oldestSupported)
        let ping = try await client.ping()
        XCTAssertTrue(ping)
        let info = try await client.version()
        XCTAssertFalse(info.version.isEmpty)
        let system = try await client.info()
        XCTAssertGreaterThan(system.cpus ?? 0, 0)
        let images = try await client.images()
        XCTAssertTrue(images.contains { $0.repoTags?.contains(Self.image) == true })
    }

    func testLifecycleStartStopRestartKillRemove() async throws {
        let id = try await makeContainer("trap 'exit 0' TERM; while true; do sleep 1; done")
        try await client.startContainer(id)
        try await client.startContainer(id)  // idempotent
        var details = try await client.container(id)
        XCTAssertTrue(details.state.running)
        let running = try await client.containers(ListContainersOptions(all: false, filters: ["label": ["jarvis.test=1"]]))
        XCTAssertTrue(running.contains { $0.id == id })

        try await client.stopContainer(id, timeout: 5)
        details = try await client.container(id)
        XCTAssertEqual(details.state.status, "exited")
        try await client.stopContainer(id, timeout: 1)  // idempotent (304)

        try await client.restartContainer(id, timeout: 1)
        details = try await client.container(id)
        XCTAssertTrue(details.state.running)
        try await client.killContainer(id, signal: "SIGKILL")
        details = try await client.container(id)
        XCTAssertFalse(details.state.running)
        XCTAssertEqual(details.state.exitCode, 137)

        try await client.removeContainer(id)
        await assertEngineError(.notFound) { _ = try await self.client.container(id) }
    }

    func testUnknownIDsAndConflictsAreDistinguishable() async throws {
        await assertEngineError(.notFound) { _ = try await self.client.container("no-such-container-xyz") }
        await assertEngineError(.notFound) { try await self.client.startContainer("no-such-container-xyz") }
        await assertEngineError(.invalidArgument) { _ = try await self.client.container("../../images/json") }
        let id = try await makeContainer("sleep 30")
        try await client.startContainer(id)
        await assertEngineError(.conflict) { try await self.client.removeContainer(id) }
    }

    func testUnreachableEngineIsReportedAsSuch() async throws {
        let dead = DockerClient(host: DockerHost(.unix(path: "/tmp/jarvis-no-engine-\(UUID().uuidString.prefix(6)).sock")))
        await assertEngineError(.engineUnreachable) { _ = try await dead.containers() }
    }

    func testHistoricalLogsAreDemultiplexedWithTimestamps() async throws {
        let id = try await makeContainer("echo out1; echo err1 >&2; echo out2")
        try await client.startContainer(id)
        try await waitUntilExited(id)
        var lines: [LogLine] = []
        for try await line in try await client.logs(id, options: LogsOptions(follow: false, timestamps: true)) { lines.append(line) }
        XCTAssertEqual(lines.filter { $0.stream == .stdout }.map(\.text), ["out1", "out2"])
        XCTAssertEqual(lines.filter { $0.stream == .stderr }.map(\.text), ["err1"])
        XCTAssertTrue(lines.allSatisfy { $0.timestamp?.hasSuffix("Z") == true })
        // Engine order between stdout and stderr is not guaranteed: tail a single-stream container.
        let single = try await makeContainer("echo a; echo b; echo c")
        try await client.startContainer(single)
        try await waitUntilExited(single)
        var tail: [String] = []
        for try await line in try await client.logs(single, options: LogsOptions(tail: 2, timestamps: false)) { tail.append(line.text) }
        XCTAssertEqual(tail, ["b", "c"])
    }

    func testTTYContainerLogsAreRawLines() async throws {
        let id = try await makeContainer("echo tty-out; echo tty-err >&2", tty: true)
        try await client.startContainer(id)
        try await waitUntilExited(id)
        var lines: [LogLine] = []
        for try await line in try await client.logs(id, options: LogsOptions(timestamps: true)) { lines.append(line) }
        XCTAssertEqual(Set(lines.map(\.text)), ["tty-out", "tty-err"])
        XCTAssertTrue(lines.allSatisfy { $0.stream == .stdout })
    }

    func testFollowDeliversNewLinesAndReleasesTheTransferWhenTheConsumerStops() async throws {
        let id = try await makeContainer("i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done")
        try await client.startContainer(id)
        let before = DockerClient.activeTransfers
        do {
            var seen: [String] = []
            for try await line in try await client.logs(id, options: LogsOptions(follow: true, tail: 0)) {
                seen.append(line.text)
                if seen.count == 3 { break }
            }
            XCTAssertEqual(seen.count, 3)
            XCTAssertTrue(seen.allSatisfy { $0.hasPrefix("tick ") })
        }
        try await waitFor("the follow transfer to be released") { DockerClient.activeTransfers <= before }
    }

    func testCancellingTheConsumingTaskEndsAFollow() async throws {
        let id = try await makeContainer("while true; do echo x; sleep 1; done")
        try await client.startContainer(id)
        let before = DockerClient.activeTransfers
        let task = Task {
            var count = 0
            for try await _ in try await self.client.logs(id, options: LogsOptions(follow: true, tail: 0)) { count += 1 }
            return count
        }
        try await Task.sleep(nanoseconds: 500_000_000)
        task.cancel()
        _ = try? await task.value
        try await waitFor("the cancelled follow to be released") { DockerClient.activeTransfers <= before }
    }

    func testEventsStreamReportsContainerActions() async throws {
        let since = String(Int(Date().timeIntervalSince1970) - 1)
        let id = try await makeContainer("sleep 30")
        try await client.startContainer(id)
        var actions: [String] = []
        for try await event in try await client.events(EventsOptions(since: since, filters: ["container": [id]])) {
            actions.append(event.action)
            if event.action == "start" { break }
        }
        XCTAssertEqual(actions, ["create", "start"])
    }

    func testManyConcurrentFollowsShareOneThread() async throws {
        let id = try await makeContainer("while true; do echo beat; sleep 0.5; done")
        try await client.startContainer(id)
        let threadsBefore = Self.threadCount()
        let received = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    var count = 0
                    for try await _ in try await self.client.logs(id, options: LogsOptions(follow: true, tail: 1), tty: false) {
                        count += 1
                        if count == 2 { break }
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        XCTAssertEqual(received, 100)
        XCTAssertLessThan(Self.threadCount() - threadsBefore, 10, "follows must not take a thread each")
    }

    func testReadOnlyClientSendsNothingThatChangesState() async throws {
        let id = try await makeContainer("sleep 30")
        try await client.startContainer(id)
        let readOnly = DockerClient(host: client.host, readOnly: true)
        let details = try await readOnly.container(id)  // reads still work
        XCTAssertTrue(details.state.running)
        await assertEngineError(.readOnly) { try await readOnly.stopContainer(id, timeout: 1) }
        await assertEngineError(.readOnly) { try await readOnly.killContainer(id) }
        await assertEngineError(.readOnly) { try await readOnly.removeContainer(id, force: true) }
        await assertEngineError(.readOnly) { _ = try await readOnly.createContainer(name: nil, body: ["Image": Self.image]) }
        let after = try await client.container(id)
        XCTAssertTrue(after.state.running, "nothing reached the engine")
        // Refused before any I/O: even an unreachable engine gives read_only, not engine_unreachable.
        let deadReadOnly = DockerClient(host: DockerHost(.unix(path: "/tmp/jarvis-none.sock")), readOnly: true)
        await assertEngineError(.readOnly) { try await deadReadOnly.startContainer("x") }
    }

    /// Socket-proxy mode: Jarvis talks TCP to a proxy in front of the socket
    /// (here socat on 127.0.0.1), never to the socket itself.
    func testTalksToTheEngineThroughATCPProxy() async throws {
        guard case let .unix(path) = client.host.transport else { throw XCTSkip("engine is not on a unix socket") }
        let port = Int.random(in: 30000...40000)
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        proxy.arguments = ["TCP-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork", "UNIX-CONNECT:\(path)"]
        // Not our stdout: forked children must not hold the test runner's pipe open.
        proxy.standardInput = FileHandle.nullDevice
        proxy.standardOutput = FileHandle.nullDevice
        proxy.standardError = FileHandle.nullDevice
        try proxy.run()
        defer {
            kill(proxy.processIdentifier, SIGKILL)  // SIGTERM may be ignored (inherited disposition)
        }
        let viaProxy = DockerClient(host: try DockerHost.parse("tcp://127.0.0.1:\(port)"))
        var version: APIVersion?
        for _ in 0..<50 where version == nil {
            version = try? await viaProxy.apiVersion()
            if version == nil { try await Task.sleep(nanoseconds: 100_000_000) }
        }
        XCTAssertNotNil(version)
        let id = try await makeContainer("echo through-the-proxy")
        try await viaProxy.startContainer(id)
        try await waitUntilExited(id)
        var lines: [String] = []
        for try await line in try await viaProxy.logs(id, options: LogsOptions(timestamps: false)) { lines.append(line.text) }
        XCTAssertEqual(lines, ["through-the-proxy"])
    }

    // MARK: helpers

    private func waitUntilExited(_ id: String) async throws {
        try await waitFor("container \(id) to exit") { try await !self.client.container(id).state.running }
    }

    private func waitFor(_ what: String, _ condition: @escaping () async throws -> Bool) async throws {
        for _ in 0..<100 {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        XCTFail("timed out waiting for \(what)")
    }

    private func assertEngineError(_ code: EngineError.Code, _ body: () async throws -> Void,
                                   file: StaticString = #filePath, line: UInt = #line) async {
        do {
            try await body()
            XCTFail("expected \(code)", file: file, line: line)
        } catch let error as EngineError {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }

    private static func threadCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
    }

    func testHijackedExecPipesBytesBothWaysAndReportsTheExitCode() async throws {
        let id = try await makeContainer("sleep 600")
        try await client.startContainer(id)
        let exec = try await client.createExec(id, ExecOptions(cmd: ["sh", "-c", "read line; echo got:$line; exit 7"], tty: false))
        let connection = try await client.startExec(exec, tty: false)
        try connection.write(Array("hello\n".utf8))
        var decoder = LogFrameDecoder()
        var output: [UInt8] = []
        while let chunk = try connection.read() {
            output += try decoder.feed(chunk).flatMap(\.payload)
        }
        connection.close()
        XCTAssertEqual(String(decoding: output, as: UTF8.self), "got:hello\n")
        let inspect = try await client.inspectExec(exec)
        XCTAssertEqual(inspect.exitCode, 7)
        XCTAssertFalse(inspect.running)
    }

    func testExecOnAMissingExecIsANotFoundError() async throws {
        do {
            _ = try await client.startExec("0123456789abcdef0123456789abcdef")
            XCTFail("expected an error")
        } catch let error as EngineError {
            XCTAssertEqual(error.code, .notFound)
        }
    }

    func testPauseRenameAndOneShotStats() async throws {
        let id = try await makeContainer("while true; do :; done")
        try await client.startContainer(id)
        let first = try await client.containerStats(id)
        try await Task.sleep(nanoseconds: 500_000_000)
        let second = try await client.containerStats(id)
        let percent = try XCTUnwrap(second.cpuCounters?.percent(since: try XCTUnwrap(first.cpuCounters)))
        XCTAssertGreaterThan(percent, 20, "a busy loop uses most of a CPU")
        XCTAssertGreaterThan(second.memoryUsed ?? 0, 0)
        try await client.pauseContainer(id)
        let paused = try await client.container(id).state.paused
        XCTAssertTrue(paused)
        try await client.unpauseContainer(id)
        let name = "jv-renamed-\(UUID().uuidString.prefix(6).lowercased())"
        try await client.renameContainer(id, to: name)
        let renamed = try await client.container(id).displayName
        XCTAssertEqual(renamed, name)
    }

    // MARK: a body that follows a file still being written (uploads in progress)

    private func exportTestImage() async throws -> [UInt8] {
        let stream = try await client.exportImages([Self.image])
        var archive: [UInt8] = []
        while let chunk = try await stream.next() { archive += chunk }
        return archive
    }

    /// Writes `bytes` to `fd` in `pieces`, pausing between them like a slow upload.
    private func writeSlowly(_ bytes: ArraySlice<UInt8>, to fd: Int32, pieces: Int) async throws {
        let size = (bytes.count + pieces - 1) / pieces
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = min(start + size, bytes.endIndex)
            let written = bytes[start..<end].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            XCTAssertEqual(written, end - start)
            start = end
            try await Task.sleep(nanoseconds: 150_000_000)
        }
    }

    private func loadMessages(_ path: String) async throws -> [String] {
        var lines: [String] = []
        for try await message in try await client.loadImages(archive: path, followingWriter: true) {
            if let failure = message.failure { throw EngineError(.invalidArgument, message: failure) }
            if let text = message.stream { lines.append(text) }
        }
        return lines
    }

    func testLoadReadsAlongWhileTheArchiveIsStillBeingWritten() async throws {
        let archive = try await exportTestImage()
        let path = NSTemporaryDirectory() + "jv-follow-\(UUID().uuidString).tar"
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let half = archive.count / 2
        try await writeSlowly(archive[..<half], to: fd, pieces: 2)
        let loading = Task { try await self.loadMessages(path) }
        try await writeSlowly(archive[half...], to: fd, pieces: 4)
        fchmod(fd, 0o400)  // the writer is done
        close(fd)
        let lines = try await loading.value
        XCTAssertTrue(lines.joined().contains("Loaded image: \(Self.image)"), "\(lines)")
    }

    func testLoadOfAnArchiveWhoseWriterGaveUpFailsWithAClearError() async throws {
        let archive = try await exportTestImage()
        let path = NSTemporaryDirectory() + "jv-follow-\(UUID().uuidString).tar"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        try await writeSlowly(archive[..<(archive.count / 2)], to: fd, pieces: 1)
        let loading = Task { try await self.loadMessages(path) }
        try await Task.sleep(nanoseconds: 300_000_000)
        unlink(path)  // the upload failed: the writer removes the partial file
        close(fd)
        do {
            _ = try await loading.value
            XCTFail("a load of half an archive must fail")
        } catch let error as EngineError {
            XCTAssertEqual(error.message, "the upload did not complete")
        }
    }

    func testNetworksAndVolumesAreCreatedFoundByLabelConnectedAndRemoved() async throws {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let label = "jarvis.test.resource=\(suffix)"
        let networkID = try await client.createNetwork(body: ["Name": "jv-net-\(suffix)", "CheckDuplicate": true,
                                                              "Labels": ["jarvis.test.resource": String(suffix)]])
        let volume = try await client.createVolume(body: ["Name": "jv-vol-\(suffix)", "Labels": ["jarvis.test.resource": String(suffix)]])
        XCTAssertEqual(volume.name, "jv-vol-\(suffix)")
        let networks = try await client.networks(filters: ["label": [label]])
        XCTAssertEqual(networks.map(\.id), [networkID])
        let volumes = try await client.volumes(filters: ["label": [label]])
        XCTAssertEqual(volumes.map(\.name), ["jv-vol-\(suffix)"])
        let container = try await makeContainer("sleep 30")
        try await client.connectNetwork(networkID, container: container, endpoint: ["Aliases": ["probe"]])
        let details = try await client.container(container)
        XCTAssertNotNil(details.networkSettings?.networks?["jv-net-\(suffix)"], "connected before start")
        try await client.removeContainer(container, force: true)
        try await client.removeNetwork(networkID)
        try await client.removeVolume("jv-vol-\(suffix)")
        let networksAfter = try await client.networks(filters: ["label": [label]])
        let volumesAfter = try await client.volumes(filters: ["label": [label]])
        XCTAssertTrue(networksAfter.isEmpty && volumesAfter.isEmpty)
        do {
            try await client.removeVolume("jv-vol-\(suffix)")
            XCTFail("a missing volume is an error")
        } catch let error as EngineError {
            XCTAssertEqual(error.code, .notFound)
        }
    }
}
