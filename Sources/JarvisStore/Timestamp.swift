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
        let interval = date.timeIntervalSince1970
        var seconds = time_t(floor(interval))
        let millis = min(999, Int((interval - floor(interval)) * 1000))
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
