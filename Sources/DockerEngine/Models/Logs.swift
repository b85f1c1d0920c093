/// Which output a log line came from.
public enum LogStream: String, Codable, Sendable {
    case stdout, stderr
    /// Engine-side error text multiplexed into the stream (frame type 3).
    case system
}

/// One line of container output, without its newline.
public struct LogLine: Sendable, Equatable {
    public let stream: LogStream
    /// RFC 3339 with nanoseconds, when requested with `timestamps`.
    public let timestamp: String?
    public let text: String

    public init(stream: LogStream, timestamp: String?, text: String) {
        self.stream = stream
        self.timestamp = timestamp
        self.text = text
    }
}

/// Parameters of `GET /containers/{id}/logs`.
public struct LogsOptions: Sendable {
    public var follow = false
    public var stdout = true
    public var stderr = true
    /// Unix seconds, optionally with a fraction (`1700000000.123456789`).
    public var since: String?
    public var until: String?
    /// A line count, or nil for everything.
    public var tail: Int?
    public var timestamps = true

    public init(follow: Bool = false, since: String? = nil, until: String? = nil, tail: Int? = nil, timestamps: Bool = true) {
        self.follow = follow
        self.since = since
        self.until = until
        self.tail = tail
        self.timestamps = timestamps
    }

    var query: [(String, String)] {
        var query: [(String, String)] = [
            ("follow", follow ? "1" : "0"), ("stdout", stdout ? "1" : "0"), ("stderr", stderr ? "1" : "0"),
            ("timestamps", timestamps ? "1" : "0"), ("tail", tail.map(String.init) ?? "all"),
        ]
        if let since { query.append(("since", since)) }
        if let until { query.append(("until", until)) }
        return query
    }
}
