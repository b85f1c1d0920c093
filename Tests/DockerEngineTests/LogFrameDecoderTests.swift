import DockerEngine
import XCTest

final class LogFrameDecoderTests: XCTestCase {
    private func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let size = UInt32(payload.count)
        return [stream, 0, 0, 0, UInt8(size >> 24), UInt8((size >> 16) & 0xFF), UInt8((size >> 8) & 0xFF), UInt8(size & 0xFF)] + payload
    }

    func testDecodesFramesSplitAtEveryByteBoundary() throws {
        let bytes = frame(1, "hello\n") + frame(2, "oops\n") + frame(1, "")
        for cut in 0...bytes.count {
            var decoder = LogFrameDecoder()
            let frames = try decoder.feed(Array(bytes[..<cut])) + decoder.feed(Array(bytes[cut...]))
            XCTAssertEqual(frames.map(\.stream), [.stdout, .stderr, .stdout], "cut at \(cut)")
            XCTAssertEqual(frames.map { String(decoding: $0.payload, as: UTF8.self) }, ["hello\n", "oops\n", ""])
            XCTAssertFalse(decoder.hasPartialFrame)
        }
    }

    func testKeepsAPartialFrameUntilTheRestArrives() throws {
        var decoder = LogFrameDecoder()
        let bytes = frame(1, "abcdef")
        XCTAssertEqual(try decoder.feed(Array(bytes.prefix(10))), [])
        XCTAssertTrue(decoder.hasPartialFrame)
        XCTAssertEqual(try decoder.feed(Array(bytes.dropFirst(10))).first?.payload, Array("abcdef".utf8))
    }

    func testLargeFrameSizeUsesAllFourBytes() throws {
        let text = String(repeating: "x", count: 70_000)
        var decoder = LogFrameDecoder()
        XCTAssertEqual(try decoder.feed(frame(2, text)).first?.payload.count, 70_000)
    }

    func testSystemErrorFrameIsReported() throws {
        var decoder = LogFrameDecoder()
        XCTAssertEqual(try decoder.feed(frame(3, "engine failed")).first?.stream, .system)
    }

    func testRejectsAnInvalidStreamByte() {
        var decoder = LogFrameDecoder()
        XCTAssertThrowsError(try decoder.feed([9, 0, 0, 0, 0, 0, 0, 1, 65]))
    }
}

final class LogLineSplitterTests: XCTestCase {
    func testSplitsLinesAcrossChunksPerStreamAndStripsTimestamps() {
        var splitter = LogLineSplitter(timestamps: true)
        var lines = splitter.feed(Array("2026-01-02T03:04:05.123456789Z hel".utf8), stream: .stdout)
        lines += splitter.feed(Array("2026-01-02T03:04:05.2Z err\r\n".utf8), stream: .stderr)
        lines += splitter.feed(Array("lo\n2026-01-02T03:04:06Z second\n".utf8), stream: .stdout)
        XCTAssertEqual(lines, [
            LogLine(stream: .stderr, timestamp: "2026-01-02T03:04:05.2Z", text: "err"),
            LogLine(stream: .stdout, timestamp: "2026-01-02T03:04:05.123456789Z", text: "hello"),
            LogLine(stream: .stdout, timestamp: "2026-01-02T03:04:06Z", text: "second"),
        ])
    }

    func testFinishFlushesAnUnterminatedLine() {
        var splitter = LogLineSplitter(timestamps: false)
        XCTAssertEqual(splitter.feed(Array("no newline".utf8), stream: .stdout), [])
        XCTAssertEqual(splitter.finish(), [LogLine(stream: .stdout, timestamp: nil, text: "no newline")])
        XCTAssertEqual(splitter.finish(), [])
    }

    func testWithoutTimestampsTheWholeLineIsText() {
        var splitter = LogLineSplitter(timestamps: false)
        XCTAssertEqual(splitter.feed(Array("2026-01-02T03:04:05Z kept\n".utf8), stream: .stdout).first?.text,
                       "2026-01-02T03:04:05Z kept")
    }
}

final class JSONLineDecoderTests: XCTestCase {
    struct Item: Decodable, Equatable { let n: Int }

    func testDecodesDocumentsAcrossChunks() throws {
        var decoder = JSONLineDecoder<Item>()
        XCTAssertEqual(try decoder.feed(Array(#"{"n":1}"#.utf8) + [0x0A] + Array(#"{"n""#.utf8)), [Item(n: 1)])
        XCTAssertEqual(try decoder.feed(Array(#":2}"#.utf8) + [0x0A, 0x0A]), [Item(n: 2)])
        XCTAssertEqual(try decoder.feed(Array(#"{"n":3}"#.utf8)), [])
        XCTAssertEqual(try decoder.finish(), [Item(n: 3)])
    }

    func testInvalidJSONIsADecodingError() {
        var decoder = JSONLineDecoder<Item>()
        XCTAssertThrowsError(try decoder.feed(Array("not json\n".utf8))) { error in
            XCTAssertEqual((error as? EngineError)?.code, .decoding)
        }
    }
}

final class DockerHostAndVersionTests: XCTestCase {
    func testParsesHosts() throws {
        XCTAssertEqual(try DockerHost.parse("unix:///run/docker.sock").transport, .unix(path: "/run/docker.sock"))
        XCTAssertEqual(try DockerHost.parse("/tmp/x.sock").transport, .unix(path: "/tmp/x.sock"))
        XCTAssertEqual(try DockerHost.parse("tcp://127.0.0.1:2375").transport, .tcp(host: "127.0.0.1", port: 2375))
        for bad in ["tcp://host", "tcp://:80", "http://x", "unix://relative", "tcp://h:99999"] {
            XCTAssertThrowsError(try DockerHost.parse(bad), bad)
        }
        XCTAssertEqual(try DockerHost.fromEnvironment([:]), .systemDefault)
    }

    func testNegotiatesTheLowerVersionAndRefusesOldEngines() throws {
        XCTAssertEqual(try APIVersion.negotiate(engine: APIVersion(1, 41)), APIVersion(1, 41))
        XCTAssertEqual(try APIVersion.negotiate(engine: APIVersion(1, 52)), APIVersion.newestKnown)
        XCTAssertThrowsError(try APIVersion.negotiate(engine: APIVersion(1, 40))) { error in
            let engineError = error as? EngineError
            XCTAssertEqual(engineError?.code, .unsupportedVersion)
            XCTAssertTrue(engineError?.message.contains("1.40") == true && engineError?.message.contains("1.41") == true)
        }
        XCTAssertTrue(APIVersion(1, 9) < APIVersion(1, 41))
        XCTAssertNil(APIVersion("v1"))
    }
}
