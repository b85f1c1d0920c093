import DockerEngine
import Foundation
import JarvisCore
import XCTest

/// Log search under PCRE2's limits: pathological patterns cost about what simple ones do.
final class LogMatcherTests: XCTestCase {
    private func milliseconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    func testNestedQuantifiersReturnAtOnceAndCountAsLimited() throws {
        let matcher = try LogMatcher("(a+)+$", regex: true)
        let line = String(repeating: "a", count: 5000) + "!"
        var outcome = LogMatcher.Outcome.match
        let elapsed = milliseconds { outcome = matcher.match(line) }
        XCTAssertLessThan(elapsed, 50, "one pathological line must not cost more than a few milliseconds")
        XCTAssertEqual(outcome, .limited)
        XCTAssertEqual(matcher.limitedLines, 1)
        XCTAssertFalse(matcher.stopped)
    }

    func testWorkSpreadOverEveryStartPositionIsBoundedToo() throws {
        // Under the per-start-position limit at each of 16 000 positions: only the CPU budget stops it.
        let matcher = try LogMatcher("a{0,300}a{0,300}b", regex: true)
        let line = String(repeating: "a", count: 16_000) + "b"
        var outcome = LogMatcher.Outcome.match
        let elapsed = milliseconds { outcome = matcher.match(line) }
        XCTAssertLessThan(elapsed, 50)
        XCTAssertEqual(outcome, .limited)
    }

    func testManyLimitedLinesStopTheSearch() throws {
        let matcher = try LogMatcher("(a+)+$", regex: true)
        let line = String(repeating: "a", count: 3000) + "!"
        let elapsed = milliseconds {
            for _ in 0..<(LogMatcher.maxLimitedLines + 50) { _ = matcher.match(line) }
        }
        XCTAssertTrue(matcher.stopped)
        XCTAssertEqual(matcher.limitedLines, LogMatcher.maxLimitedLines, "lines after the stop are not searched")
        XCTAssertLessThan(elapsed, 2000)
        XCTAssertFalse(matcher.matches("plain"), "a stopped search matches nothing")
    }

    func testSimplePatternsAndSubstringsStillMatchCaseInsensitively() throws {
        let regex = try LogMatcher(#"err(or)?\s+\d{3}"#, regex: true)
        XCTAssertTrue(regex.matches("GET /x -> ERROR 503"))
        XCTAssertTrue(regex.matches("err 404"))
        XCTAssertFalse(regex.matches("error: none"))
        let anchored = try LogMatcher("^start|end$", regex: true)
        XCTAssertTrue(anchored.matches("Start of it"))
        XCTAssertTrue(anchored.matches("the END"))
        XCTAssertFalse(anchored.matches("in the middle"))
        let substring = try LogMatcher("a.b (x)", regex: false)
        XCTAssertTrue(substring.matches("saw A.B (X) here"), "punctuation in a substring is literal")
        XCTAssertFalse(substring.matches("saw aXb (x) here"))
        XCTAssertTrue(try LogMatcher(#"\Q"#, regex: false).matches(#"a \Q b"#))
        XCTAssertTrue(regex.usesJIT || !regex.usesJIT)  // either way the limits hold
    }

    func testUTF8TextAndUnicodeCaseFolding() throws {
        let matcher = try LogMatcher("grüße|ΣΟΦΊΑ", regex: true)
        XCTAssertTrue(matcher.matches("viele GRÜSSE? nein: GRÜßE aus Köln"))
        XCTAssertTrue(matcher.matches("η σοφία"))
        XCTAssertTrue(try LogMatcher(#"^\w+ \d+$"#, regex: true).matches("Größe 42"), "\\w covers letters beyond ASCII")
        XCTAssertTrue(try LogMatcher("日本", regex: false).matches("ログ: 日本語のテキスト"))
        XCTAssertTrue(try LogMatcher("ÉTÉ", regex: false).matches("un été chaud"))
    }

    func testOnlyTheFirst16KiBOfALineAreSearched() throws {
        let matcher = try LogMatcher("needle", regex: false)
        // 1 + 2 × 8192 bytes: the 16 KiB cut falls inside the last "é" and moves back before it.
        let padding = "x" + String(repeating: "é", count: LogMatcher.searchedBytes / 2)
        XCTAssertEqual(matcher.match(padding + "needle"), .noMatch)
        XCTAssertEqual(matcher.match("needle" + padding), .match)
        XCTAssertEqual(try LogMatcher("^xé{8191}$", regex: true).match(padding), .match, "the search sees 8191 of the 8192")
        XCTAssertEqual(matcher.limitedLines, 0)
    }

    func testInvalidPatternsAreA400NamingWhereTheyFail() {
        XCTAssertThrowsError(try LogMatcher("ab(c", regex: true)) { error in
            let error = error as? JarvisError
            XCTAssertEqual(error?.status, 400)
            XCTAssertEqual(error?.code, "invalid_regex")
            XCTAssertEqual(error?.field, "q")
            XCTAssertTrue(error?.message.contains("at character 4") == true, error?.message ?? "")
        }
        // Unbalanced on its own, balanced once wrapped: still refused.
        XCTAssertThrowsError(try LogMatcher("a)(b", regex: true)) { error in
            XCTAssertEqual((error as? JarvisError)?.code, "invalid_regex")
        }
        XCTAssertThrowsError(try LogMatcher(String(repeating: "a", count: 501), regex: true)) { error in
            XCTAssertEqual((error as? JarvisError)?.code, "invalid_parameter")
        }
    }

    func testStartOfPatternSettingsAndCommentsStillWork() throws {
        XCTAssertTrue(try LogMatcher("(*LIMIT_MATCH=1000)(*NO_JIT)ab+c", regex: true).matches("xxABBBCxx"))
        XCTAssertTrue(try LogMatcher("(?x) a b c  # spaced out", regex: true).matches("ABC"))
        XCTAssertTrue(try LogMatcher(#"\Qa+b"#, regex: true).matches("a+b"))
        XCTAssertTrue(try LogMatcher("cat|dog", regex: true).matches("hot DOG"), "the callout covers every alternative")
    }

    func testSearchedBatchesRunOffTheCooperativePool() async throws {
        let request = try LogRequest.parse(["q": "b+", "regex": "1"])
        let lines = ["abc", "xyz", "BBB"].map { LogLine(stream: .stdout, timestamp: nil, text: $0) }
        let kept = await request.admitted(lines)
        XCTAssertEqual(kept, [true, false, true])
    }
}
