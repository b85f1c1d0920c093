import Foundation
import XCTest
@testable import Schedule

/// Golden tables: an expression, a zone, a start instant and the next fires written as local times with offsets.
final class TriggerGoldenTests: XCTestCase {
    private func fires(_ spec: TriggerSpec, after: String, count: Int = 5) throws -> [String] {
        let trigger = try spec.trigger()
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = trigger.zone
        let start = try XCTUnwrap(ISO8601DateFormatter().date(from: after))
        return trigger.nextFires(after: start, count: count).map { formatter.string(from: $0) }
    }

    private func cron(_ expression: String, _ zone: String = "UTC", after: String, count: Int = 5) throws -> [String] {
        try fires(TriggerSpec(type: "cron", expression: expression, timezone: zone), after: after, count: count)
    }

    func testBerlinSpringForwardFixedTimeFiresOnceAtTheJump() throws {
        // 2026-03-29 02:00 CET jumps to 03:00 CEST: 02:30 does not exist; it fires at the jump, not twice, not never.
        XCTAssertEqual(try cron("30 2 * * *", "Europe/Berlin", after: "2026-03-28T00:00:00Z", count: 3),
                       ["2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"])
        // Several skipped fires of the same job collapse into one.
        XCTAssertEqual(try cron("0,15,30,45 2 * * *", "Europe/Berlin", after: "2026-03-28T23:00:00Z", count: 2),
                       ["2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"])
    }

    func testBerlinSpringForwardWildcardKeepsTheWallClock() throws {
        XCTAssertEqual(try cron("*/30 * * * *", "Europe/Berlin", after: "2026-03-29T00:15:00Z", count: 4),
                       ["2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00", "2026-03-29T04:00:00+02:00"])
    }

    func testBerlinFallBackFixedTimeFiresOnce() throws {
        // 2026-10-25 03:00 CEST goes back to 02:00 CET: 02:30 happens twice, the job runs at the first.
        XCTAssertEqual(try cron("30 2 * * *", "Europe/Berlin", after: "2026-10-24T00:00:00Z", count: 3),
                       ["2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"])
    }

    func testBerlinFallBackWildcardRunsThroughTheRepeatedHour() throws {
        XCTAssertEqual(try cron("0,30 * * * *", "Europe/Berlin", after: "2026-10-24T23:45:00Z", count: 6),
                       ["2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00",
                        "2026-10-25T02:30:00+01:00", "2026-10-25T03:00:00+01:00", "2026-10-25T03:30:00+01:00"])
        // Starting inside the first pass of the repeated hour still finds the second pass's earlier times.
        XCTAssertEqual(try cron("0 * * * *", "Europe/Berlin", after: "2026-10-25T00:30:00Z", count: 3),
                       ["2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00", "2026-10-25T04:00:00+01:00"])
    }

    func testNewYorkBothDirections() throws {
        // 2026-03-08 02:00 EST → 03:00 EDT.
        XCTAssertEqual(try cron("0 2 * * *", "America/New_York", after: "2026-03-07T12:00:00Z", count: 3),
                       ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00", "2026-03-10T02:00:00-04:00"])
        // 2026-11-01 02:00 EDT → 01:00 EST: 01:30 once.
        XCTAssertEqual(try cron("30 1 * * *", "America/New_York", after: "2026-10-31T12:00:00Z", count: 3),
                       ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00", "2026-11-03T01:30:00-05:00"])
        // Every-hour jobs run in both passes of the repeated hour, by the wall clock (Vixie's HR_STAR).
        XCTAssertEqual(try cron("@hourly", "America/New_York", after: "2026-11-01T04:30:00Z", count: 3),
                       ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"])
    }

    func testFebruary29thOnlyOnLeapYears() throws {
        XCTAssertEqual(try cron("0 0 29 2 *", after: "2026-01-01T00:00:00Z", count: 4),
                       ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z", "2040-02-29T00:00:00Z"])
        // 2100 is not a leap year.
        XCTAssertEqual(try cron("0 0 29 2 *", after: "2096-03-01T00:00:00Z", count: 1), ["2104-02-29T00:00:00Z"])
    }

    func testThe31stSkipsShortMonths() throws {
        XCTAssertEqual(try cron("0 12 31 * *", "Asia/Shanghai", after: "2026-01-01T00:00:00Z", count: 5),
                       ["2026-01-31T12:00:00+08:00", "2026-03-31T12:00:00+08:00", "2026-05-31T12:00:00+08:00",
                        "2026-07-31T12:00:00+08:00", "2026-08-31T12:00:00+08:00"])
    }

    func testShanghaiHasNoDST() throws {
        XCTAssertEqual(try cron("30 2 * * *", "Asia/Shanghai", after: "2026-03-27T12:00:00Z", count: 3),
                       ["2026-03-28T02:30:00+08:00", "2026-03-29T02:30:00+08:00", "2026-03-30T02:30:00+08:00"])
        XCTAssertEqual(try cron("@weekly", "Asia/Shanghai", after: "2026-01-01T00:00:00Z", count: 2),
                       ["2026-01-04T00:00:00+08:00", "2026-01-11T00:00:00+08:00"])
    }

    func testStepsRangesListsAndSeconds() throws {
        XCTAssertEqual(try cron("*/20 * * * * *", after: "2026-01-01T00:00:00Z", count: 4),
                       ["2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z", "2026-01-01T00:01:20Z"])
        XCTAssertEqual(try cron("10-40/15 8-9 * * *", after: "2026-01-01T00:00:00Z", count: 5),
                       ["2026-01-01T08:10:00Z", "2026-01-01T08:25:00Z", "2026-01-01T08:40:00Z", "2026-01-01T09:10:00Z", "2026-01-01T09:25:00Z"])
        XCTAssertEqual(try cron("5/20 0 1 1 *", after: "2026-01-01T00:00:00Z", count: 3),
                       ["2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z", "2026-01-01T00:45:00Z"])
        XCTAssertEqual(try cron("0 0 1,15 * *", after: "2026-01-02T00:00:00Z", count: 3),
                       ["2026-01-15T00:00:00Z", "2026-02-01T00:00:00Z", "2026-02-15T00:00:00Z"])
    }

    func testNamesAndTheDayOrRule() throws {
        XCTAssertEqual(try cron("0 9 * JAN-mar Mon-Fri", "America/New_York", after: "2026-01-01T00:00:00Z", count: 3),
                       ["2026-01-01T09:00:00-05:00", "2026-01-02T09:00:00-05:00", "2026-01-05T09:00:00-05:00"])
        // Both day fields restricted: the 13th OR a Friday (Vixie cron).
        XCTAssertEqual(try cron("0 0 13 * fri", after: "2026-01-01T00:00:00Z", count: 4),
                       ["2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z"])
        // A starred day-of-month means AND: every other day that is also a Sunday (7 = 0).
        XCTAssertEqual(try cron("0 0 */2 * 7", after: "2026-01-01T00:00:00Z", count: 2),
                       ["2026-01-11T00:00:00Z", "2026-01-25T00:00:00Z"])
        XCTAssertEqual(try cron("@yearly", after: "2026-06-01T00:00:00Z", count: 2), ["2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"])
        XCTAssertEqual(try cron("@annually", after: "2026-06-01T00:00:00Z", count: 1), ["2027-01-01T00:00:00Z"])
        XCTAssertEqual(try cron("@monthly", after: "2026-01-31T00:00:00Z", count: 1), ["2026-02-01T00:00:00Z"])
        XCTAssertEqual(try cron("@daily", after: "2026-01-31T00:00:00Z", count: 1), ["2026-02-01T00:00:00Z"])
    }

    func testIntervalAndOnce() throws {
        XCTAssertEqual(try fires(TriggerSpec(type: "interval", everySeconds: 7200), after: "2026-01-01T00:30:00Z", count: 2),
                       ["2026-01-01T02:00:00Z", "2026-01-01T04:00:00Z"])
        // A skipped local time for a one-off becomes the jump.
        XCTAssertEqual(try fires(TriggerSpec(type: "once", timezone: "Europe/Berlin", at: "2026-03-29T02:30:00"), after: "2026-01-01T00:00:00Z"),
                       ["2026-03-29T03:00:00+02:00"])
        XCTAssertEqual(try fires(TriggerSpec(type: "once", at: "2026-05-01T08:00:00+08:00"), after: "2026-01-01T00:00:00Z"),
                       ["2026-05-01T00:00:00Z"])
        XCTAssertEqual(try fires(TriggerSpec(type: "once", at: "2025-05-01T08:00:00Z"), after: "2026-01-01T00:00:00Z"), [])
    }

    func testErrorsNameTheFieldAndColumn() {
        func error(_ spec: TriggerSpec) -> TriggerError? {
            do { _ = try spec.trigger(); return nil } catch { return error }
        }
        let minute = error(TriggerSpec(type: "cron", expression: "61 * * * *"))
        XCTAssertEqual(minute?.description, "minute: 61 is out of range 0-59")
        XCTAssertEqual(minute?.position, 0)
        let hour = error(TriggerSpec(type: "cron", expression: "0  7,24 * * *"))
        XCTAssertEqual(hour?.description, "hour: 24 is out of range 0-23")
        XCTAssertEqual(hour?.position, 5)
        XCTAssertEqual(error(TriggerSpec(type: "cron", expression: "0 0 * foo *"))?.field, "month")
        XCTAssertEqual(error(TriggerSpec(type: "cron", expression: "0 0 * * 8"))?.description, "day-of-week: 8 is out of range 0-7")
        XCTAssertEqual(error(TriggerSpec(type: "cron", expression: "60 0 0 * * *"))?.description, "second: 60 is out of range 0-59")
        XCTAssertEqual(error(TriggerSpec(type: "cron", expression: "*/0 * * * *"))?.field, "minute")
        XCTAssertEqual(error(TriggerSpec(type: "cron", expression: "5-1 * * * *"))?.description, "minute: range 5-1 runs backwards (5 is after 1)")
        XCTAssertEqual(error(TriggerSpec(type: "cron", expression: "0 0 30 2 *"))?.field, "day-of-month")
        XCTAssertEqual(error(TriggerSpec(type: "cron", expression: "* * *"))?.field, "expression")
        XCTAssertEqual(error(TriggerSpec(type: "cron", expression: "@often"))?.field, "expression")
        XCTAssertEqual(error(TriggerSpec(type: "cron", expression: "* * * * *", timezone: "Mars/Olympus"))?.field, "timezone")
        XCTAssertEqual(error(TriggerSpec(type: "interval", everySeconds: 0))?.field, "every_seconds")
        XCTAssertEqual(error(TriggerSpec(type: "once", at: "tomorrow"))?.field, "at")
        XCTAssertEqual(error(TriggerSpec(type: "weekly"))?.field, "type")
    }

    func testJitterIsStableAndBounded() throws {
        let trigger = try TriggerSpec(type: "cron", expression: "* * * * *", jitterSeconds: 30).trigger()
        let fire = Date(timeIntervalSince1970: 1_800_000_000)
        XCTAssertEqual(trigger.jitter(seed: 7, fire: fire), trigger.jitter(seed: 7, fire: fire))
        let spread = Set((0..<200).map { trigger.jitter(seed: Int64($0), fire: fire) })
        XCTAssertTrue(spread.allSatisfy { (0...30).contains($0) })
        XCTAssertGreaterThan(spread.count, 10)
    }

    func testTimeZoneDataIsInstalled() {
        // Foundation reads the system's zone names; without tzdata every zone but UTC would be refused.
        XCTAssertNotNil(TimeZone(identifier: "Europe/Berlin"))
        XCTAssertNotNil(TimeZone(identifier: "America/New_York"))
        XCTAssertNotNil(TimeZone(identifier: "Asia/Shanghai"))
    }
}
