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

    public static func string(_ date: Date = Date()) -> String { lock.withLock { formatter.string(from: date) } }

    public static func date(_ text: String) -> Date? {
        lock.withLock { formatter.date(from: text) } ?? {
            let plain = ISO8601DateFormatter()
            return plain.date(from: text)
        }()
    }
}
