import Foundation
@testable import JarvisAPI
import JarvisCore
import XCTest

/// The upload spooler on bodies cut at every possible place, and download ranges.
final class UploadTests: XCTestCase {
    private var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "jarvis-upload-\(UUID().uuidString)"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func tarHeader() -> [UInt8] {
        var block = [UInt8](repeating: 0x41, count: 512)
        for (index, byte) in "ustar".utf8.enumerated() { block[257 + index] = byte }
        return block
    }

    private func spool(_ body: [UInt8], contentType: String?, filename: String?, kind: UploadKind = .imageArchive,
                       chunk: Int, max: Int64 = 1 << 30) -> Result<UploadedFile, JarvisError> {
        let spooler = UploadSpooler(kind: kind, directory: dir, maxBytes: max, contentType: contentType, filename: filename)
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + chunk)
            body[offset..<end].withUnsafeBytes { spooler.feed($0) }
            offset = end
        }
        return spooler.finish()
    }

    func testMultipartFileSurvivesEveryChunkSize() throws {
        // The payload holds CRLF and a near-delimiter on purpose.
        let payload = tarHeader() + Array("\r\n--boundar\r\n-- not it\r\n".utf8) + (0..<3000).map { UInt8($0 % 251) }
        let body = Array("--boundary\r\nContent-Disposition: form-data; name=\"options\"\r\n\r\n{\"tags\":[\"a:1\"]}\r\n".utf8)
            + Array("--boundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../x.tar\"\r\nContent-Type: application/x-tar\r\n\r\n".utf8)
            + payload + Array("\r\n--boundary--\r\n".utf8)
        for chunk in [1, 2, 3, 7, 13, 64, 511, 4096] {
            let file = try spool(body, contentType: "multipart/form-data; boundary=boundary", filename: nil, chunk: chunk).get()
            XCTAssertEqual(file.filename, "x.tar", "the path part of a file name is dropped")
            XCTAssertEqual(file.fields["options"], "{\"tags\":[\"a:1\"]}")
            XCTAssertEqual(file.format, "tar")
            XCTAssertEqual([UInt8](FileManager.default.contents(atPath: file.path)!), payload, "chunk size \(chunk)")
            XCTAssertTrue(file.path.hasPrefix(dir + "/"))
        }
    }

    func testWrongFilesAreRefusedAndLeaveNothing() {
        func code(_ result: Result<UploadedFile, JarvisError>) -> String? {
            if case let .failure(error) = result { return "\(error.status) \(error.code)" }
            return nil
        }
        XCTAssertEqual(code(spool([UInt8](repeating: 1, count: 600), contentType: nil, filename: "a.tar", chunk: 100)), "415 unsupported_media_type")
        XCTAssertEqual(code(spool(tarHeader(), contentType: nil, filename: "a.zip", chunk: 100)), "415 unsupported_media_type")
        XCTAssertEqual(code(spool(tarHeader(), contentType: nil, filename: "a.tar.gz", chunk: 100)), "415 unsupported_media_type")
        XCTAssertEqual(code(spool(tarHeader(), contentType: nil, filename: nil, chunk: 100)), "400 missing_filename")
        XCTAssertEqual(code(spool(tarHeader() + [UInt8](repeating: 0, count: 2000), contentType: nil, filename: "a.tar", chunk: 100, max: 1024)),
                       "413 payload_too_large")
        XCTAssertEqual(code(spool(Array("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.tar\"\r\n\r\n".utf8) + tarHeader(),
                                  contentType: "multipart/form-data; boundary=b", filename: nil, chunk: 50)), "400 malformed_upload")
        XCTAssertEqual(code(spool(Array("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--".utf8),
                                  contentType: "multipart/form-data; boundary=b", filename: nil, chunk: 50)), "400 missing_file")
        XCTAssertEqual(code(spool([0, 1, 2], contentType: nil, filename: "Dockerfile", kind: .buildContext, chunk: 10)), "415 unsupported_media_type")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [], [], "refused uploads leave no file")
    }

    func testAnArchiveIsOfferedOnceItsFirstBytesPassAndMarkedCompleteAtTheEnd() throws {
        let spooler = UploadSpooler(kind: .imageArchive, directory: dir, maxBytes: 1 << 20, contentType: nil,
                                    filename: "a.tar", contentLength: 4096)
        let body = tarHeader() + [UInt8](repeating: 7, count: 3584)
        body[..<200].withUnsafeBytes { spooler.feed($0) }
        XCTAssertNil(spooler.fileSoFar, "not before the ustar magic at 257 arrived")
        body[200..<1024].withUnsafeBytes { spooler.feed($0) }
        let early = try XCTUnwrap(spooler.fileSoFar)
        XCTAssertEqual(early.size, 4096, "the declared length of a raw body")
        var info = stat()
        XCTAssertEqual(stat(early.path, &info), 0)
        XCTAssertNotEqual(info.st_mode & S_IWUSR, 0, "writable while it grows")
        body[1024...].withUnsafeBytes { spooler.feed($0) }
        let file = try spooler.finish().get()
        XCTAssertEqual(file.path, early.path)
        XCTAssertEqual(stat(file.path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o400, "read-only says complete to a reader following it")
        XCTAssertEqual(info.st_size, 4096)
    }

    func testAnUploadThatFailsAfterItWasOfferedIsRemovedAtOnce() throws {
        let spooler = UploadSpooler(kind: .imageArchive, directory: dir, maxBytes: 2048, contentType: nil, filename: "a.tar")
        let body = tarHeader() + [UInt8](repeating: 7, count: 1024)
        body.withUnsafeBytes { spooler.feed($0) }
        let early = try XCTUnwrap(spooler.fileSoFar)
        XCTAssertNil(early.size, "no declared length")
        [UInt8](repeating: 7, count: 1024).withUnsafeBytes { spooler.feed($0) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: early.path), "over the limit: gone before the body ends")
        XCTAssertNil(spooler.fileSoFar)
        guard case let .failure(error) = spooler.finish() else { return XCTFail("over the limit must fail") }
        XCTAssertEqual(error.status, 413)
    }

    func testADockerfileIsAcceptedAsABuildContext() throws {
        let file = try spool(Array("FROM busybox\nRUN true\n".utf8), contentType: nil, filename: "Dockerfile", kind: .buildContext, chunk: 5).get()
        XCTAssertEqual(file.format, "text")
        let gzip = try spool([0x1F, 0x8B] + [UInt8](repeating: 0, count: 100), contentType: nil, filename: "ctx.tgz", kind: .buildContext, chunk: 1).get()
        XCTAssertEqual(gzip.format, "gzip")
    }

    func testRanges() throws {
        XCTAssertEqual(try FileDownload.parseRange("bytes=0-9", size: 100).map { [$0.0, $0.1] }, [0, 9])
        XCTAssertEqual(try FileDownload.parseRange("bytes=90-", size: 100).map { [$0.0, $0.1] }, [90, 99])
        XCTAssertEqual(try FileDownload.parseRange("bytes=-10", size: 100).map { [$0.0, $0.1] }, [90, 99])
        XCTAssertEqual(try FileDownload.parseRange("bytes=50-500", size: 100).map { [$0.0, $0.1] }, [50, 99])
        XCTAssertNil(try FileDownload.parseRange("bytes=0-1,5-6", size: 100), "several ranges: the whole file")
        XCTAssertThrowsError(try FileDownload.parseRange("bytes=100-", size: 100))
        XCTAssertThrowsError(try FileDownload.parseRange("bytes=9-3", size: 100))
    }
}
