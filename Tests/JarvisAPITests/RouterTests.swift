import DockerEngine
import JarvisAPI
import JarvisCore
import XCTest

final class RouterTests: XCTestCase {
    private func router() -> Router {
        var router = Router()
        for (method, pattern) in [("GET", "/api/v1/containers"), ("GET", "/api/v1/containers/{id}"),
                                  ("POST", "/api/v1/containers/{id}/start"), ("DELETE", "/api/v1/containers/{id}")] {
            router.add(Route(method, pattern, access: .open) { _ in .noContent() })
        }
        return router
    }

    func testMatchesParametersDecodedAndExactSegments() {
        guard case let .found(route, parameters) = router().match(method: "POST", path: "/api/v1/containers/web%2D1/start") else {
            return XCTFail("no match")
        }
        XCTAssertEqual(route.pattern, "/api/v1/containers/{id}/start")
        XCTAssertEqual(parameters, ["id": "web-1"])
        guard case .found(let list, _) = router().match(method: "GET", path: "/api/v1/containers/") else { return XCTFail() }
        XCTAssertEqual(list.pattern, "/api/v1/containers")
    }

    func testUnknownPathsAre404AndWrongMethodsListWhatIsAllowed() {
        guard case .notFound = router().match(method: "GET", path: "/api/v1/containers/x/y/z") else { return XCTFail() }
        guard case .notFound = router().match(method: "GET", path: "/api/v1") else { return XCTFail() }
        guard case let .wrongMethod(allowed) = router().match(method: "PUT", path: "/api/v1/containers/abc") else { return XCTFail() }
        XCTAssertEqual(Set(allowed), ["GET", "DELETE"])
    }

    func testHeadIsServedByGet() {
        guard case .found = router().match(method: "HEAD", path: "/api/v1/containers") else { return XCTFail() }
    }
}

final class RequestParsingTests: XCTestCase {
    func testQueryAndCookieParsing() {
        XCTAssertEqual(HTTPRequest.parseQuery("q=a+b&page=2&q=ignored&x=%2Fetc"), ["q": "a b", "page": "2", "x": "/etc"])
        XCTAssertEqual(HTTPRequest.parseCookies("a=1; jarvis_access=tok=en; a=2"), ["a": "1", "jarvis_access": "tok=en"])
        XCTAssertEqual(HTTPRequest.parseCookies(nil), [:])
    }
}

final class LogResumeTests: XCTestCase {
    func testInstantsCompareNumericallyWhateverTheFractionWidth() throws {
        let a = try XCTUnwrap(LogInstant("2026-11-22T13:41:14.1Z"))
        let b = try XCTUnwrap(LogInstant("2026-11-22T13:41:14.100000000Z"))
        let c = try XCTUnwrap(LogInstant("2026-11-22T13:41:14.099999999Z"))
        XCTAssertEqual(a, b)
        XCTAssertLessThan(c, a)
        XCTAssertEqual(a.engineSince, "\(a.seconds).100000000")
        XCTAssertEqual(LogInstant("2026-11-22T13:41:14Z")?.nanos, 0)
        XCTAssertNil(LogInstant("yesterday"))
    }

    func testCursorRoundTripsAndRejectsGarbage() {
        let cursor = LogCursor(eventID: "2026-11-22T13:41:14.348426362Z#2")
        XCTAssertEqual(cursor?.index, 2)
        XCTAssertEqual(cursor?.eventID, "2026-11-22T13:41:14.348426362Z#2")
        XCTAssertNil(LogCursor(eventID: "2026-11-22T13:41:14Z"))
        XCTAssertNil(LogCursor(eventID: "junk#1"))
    }

    func testFilterNumbersSameInstantLinesAndSkipsWhatTheClientHas() {
        let lines = ["…:01.5Z a", "…:02.5Z b", "…:02.5Z c", "…:03.5Z d"].map { spec -> LogLine in
            let parts = spec.split(separator: " ")
            let ts = "2026-11-22T00:00" + parts[0].dropFirst(1)
            return LogLine(stream: .stdout, timestamp: String(ts), text: String(parts[1]))
        }
        var fresh = LogResumeFilter(resumeAfter: nil)
        let ids = lines.compactMap { fresh.admit($0)?.eventID }
        XCTAssertEqual(ids.map { $0.split(separator: "#")[1] }, ["0", "0", "1", "0"])

        // The engine's `since` is inclusive: a resume after "b" replays b and c; only c and d pass.
        var resumed = LogResumeFilter(resumeAfter: LogCursor(eventID: ids[1]))
        XCTAssertEqual(lines.dropFirst().filter { resumed.admit($0) != nil }.map(\.text), ["c", "d"])
    }

    func testServerSentEventFormatting() {
        XCTAssertEqual(ServerSentEvent.encode(id: "7", event: "log", data: "a\nb"), "id: 7\nevent: log\ndata: a\ndata: b\n\n")
    }
}
