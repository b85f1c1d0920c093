import DockerEngine
import Foundation

/// An engine timestamp (RFC 3339 with up to 9 fraction digits) as integers, so
/// that `…:05.1Z` and `…:05.100000000Z` compare equal and order correctly.
public struct LogInstant: Comparable, Hashable, Sendable {
    public let seconds: Int64
    public let nanos: Int32

    public init(seconds: Int64, nanos: Int32) {
        self.seconds = seconds
        self.nanos = nanos
    }

    public init?(_ text: String) {
        if let fast = Self.parseUTC(text) { self = fast; return }
        guard text.count >= 20, let tIndex = text.firstIndex(of: "T") else { return nil }
        var main = text
        var fraction = ""
        var zone = ""
        if let dot = text.firstIndex(of: ".") {
            main = String(text[..<dot])
            let rest = text[text.index(after: dot)...]
            let digits = rest.prefix { $0.isNumber }
            fraction = String(digits)
            zone = String(rest.dropFirst(digits.count))
        } else if let zoneStart = text[tIndex...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            main = String(text[..<zoneStart])
            zone = String(text[zoneStart...])
        }
        guard fraction.count <= 9, !zone.isEmpty, let date = Self.parser.date(from: main + zone) else { return nil }
        seconds = Int64(date.timeIntervalSince1970.rounded())
        nanos = Int32(fraction.padding(toLength: 9, withPad: "0", startingAt: 0)) ?? 0
    }

    /// The engine's own form, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, parsed by hand: the log
    /// paths see one per line, and a date formatter costs tens of microseconds each.
    static func parseUTC(_ text: String) -> LogInstant? {
        var utf8 = Array(text.utf8)
        guard utf8.count >= 20, utf8.count <= 30, utf8.last == UInt8(ascii: "Z"), utf8[4] == 45, utf8[7] == 45, utf8[10] == 84,
              utf8[13] == 58, utf8[16] == 58 else { return nil }
        utf8.removeLast()
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(utf8[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var nanos = 0
        if utf8.count > 19 {
            guard utf8[19] == 46, utf8.count > 20, utf8.count - 20 <= 9, let fraction = number(20..<utf8.count) else { return nil }
            nanos = fraction
            for _ in 0..<(9 - (utf8.count - 20)) { nanos *= 10 }
        } else if utf8.count != 19 {
            return nil
        }
        // Days from the civil date (Howard Hinnant's algorithm), then seconds since 1970.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return LogInstant(seconds: Int64(days * 86400 + hour * 3600 + minute * 60 + second), nanos: Int32(nanos))
    }

    /// The `since` argument of the engine's logs call: `seconds.nanoseconds`.
    public var engineSince: String { "\(seconds).\(String(format: "%09d", nanos))" }

    public static func < (a: LogInstant, b: LogInstant) -> Bool { (a.seconds, a.nanos) < (b.seconds, b.nanos) }

    private static let parser: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter
    }()
}

/// Where a log stream stopped: the timestamp of the last line sent and its
/// index among lines sharing that timestamp. Serialised as the SSE event id.
public struct LogCursor: Equatable, Sendable {
    public let timestamp: String
    public let instant: LogInstant
    public let index: Int

    public init?(eventID: String) {
        let parts = eventID.split(separator: "#")
        guard parts.count == 2, let index = Int(parts[1]), index >= 0, let instant = LogInstant(String(parts[0])) else { return nil }
        timestamp = String(parts[0])
        self.instant = instant
        self.index = index
    }

    init(timestamp: String, instant: LogInstant, index: Int) {
        self.timestamp = timestamp
        self.instant = instant
        self.index = index
    }

    public var eventID: String { "\(timestamp)#\(index)" }
}

/// Numbers lines as they come and drops those at or before a resume cursor.
/// The engine's `since` is inclusive, so a resumed stream starts with lines
/// already sent; this filter removes exactly those.
public struct LogResumeFilter: Sendable {
    private let resumeAfter: LogCursor?
    private var lastInstant: LogInstant?
    private var indexInInstant = 0

    public init(resumeAfter: LogCursor?) { self.resumeAfter = resumeAfter }

    /// The line's cursor, or nil when the client already has it.
    public mutating func admit(_ line: LogLine) -> LogCursor? {
        guard let timestamp = line.timestamp, let instant = LogInstant(timestamp) else { return nil }
        if instant == lastInstant { indexInInstant += 1 } else { lastInstant = instant; indexInInstant = 0 }
        let cursor = LogCursor(timestamp: timestamp, instant: instant, index: indexInInstant)
        if let resumeAfter {
            if instant < resumeAfter.instant { return nil }
            if instant == resumeAfter.instant && indexInInstant <= resumeAfter.index { return nil }
        }
        return cursor
    }
}
