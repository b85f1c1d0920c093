import Foundation

/// Timestamps are stored as RFC 3339 text in UTC with milliseconds, so they
/// sort as text and read well in `sqlite3`.
public enum Timestamp {
    private static let formatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
    private static let lock = NSLock()

    /// Written by hand from `gmtime_r`: Foundation's formatter loads ICU's calendar
    /// data (megabytes of resident memory) for what is a fixed format.
    public static func string(_ date: Date = Date()) -> String {
        // Rounded to the millisecond as Foundation's formatter does (0.123 is 0.12299… in binary).
        let total = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(total >= 0 ? total / 1000 : (total - 999) / 1000)
        let millis = Int(total - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    public static func date(_ text: String) -> Date? {
        lock.withLock { formatter.date(from: text) } ?? {
            let plain = ISO8601DateFormatter()
            return plain.date(from: text)
        }()
    }
}
