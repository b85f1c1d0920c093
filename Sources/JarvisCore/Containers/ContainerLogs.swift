import DockerEngine
import Foundation

/// What a log request asks for, validated. Times are already in the engine's
/// `seconds.nanos` form.
public struct LogRequest: Sendable {
    /// Last N lines (or N last matches when searching); nil for all.
    public var tail: Int?
    public var since: String?
    public var until: String?
    /// Only lines strictly older than this (paging back from the oldest line shown).
    public var before: LogInstant?
    public var stdout = true
    public var stderr = true
    public var search: LogMatcher?

    public init() {}

    public static let defaultTail = 500
    public static let maxTail = 10_000

    /// Reads `tail`, `since`, `until`, `before`, `stream`, `q`, `regex` from query parameters.
    public static func parse(_ query: [String: String], defaultTail: Int? = LogRequest.defaultTail, maxTail: Int? = LogRequest.maxTail,
                             now: Date = Date()) throws -> LogRequest {
        var request = LogRequest()
        switch query["tail"] {
        case nil, "": request.tail = defaultTail
        case "all"?:
            guard maxTail == nil else { throw JarvisError.badRequest("tail must be 0...\(maxTail!)", code: "invalid_parameter") }
        case let text?:
            guard let lines = Int(text), lines >= 0, lines <= (maxTail ?? Int.max) else {
                throw JarvisError.badRequest("tail must be a number 0...\(maxTail.map(String.init) ?? "any") or all", code: "invalid_parameter")
            }
            request.tail = lines
        }
        request.since = try query["since"].flatMap { $0.isEmpty ? nil : try LogTime.engineTime($0, now: now, name: "since") }
        request.until = try query["until"].flatMap { $0.isEmpty ? nil : try LogTime.engineTime($0, now: now, name: "until") }
        if let before = query["before"], !before.isEmpty {
            guard let instant = LogInstant(before) else { throw JarvisError.badRequest("before must be an RFC 3339 time with nanoseconds", code: "invalid_parameter") }
            request.before = instant
            // The engine's `until` keeps lines at that very instant; they are dropped here.
            request.until = instant.engineSince
        }
        switch query["stream"] ?? "both" {
        case "both", "": break
        case "stdout": request.stderr = false
        case "stderr": request.stdout = false
        default: throw JarvisError.badRequest("stream must be stdout, stderr or both", code: "invalid_parameter")
        }
        if let pattern = query["q"], !pattern.isEmpty {
            let regex = ["1", "true"].contains(query["regex"]?.lowercased() ?? "")
            request.search = try LogMatcher(pattern, regex: regex)
        }
        return request
    }

    public var engineOptions: LogsOptions {
        // The engine counts `tail` over both streams before filtering one out, so a
        // one-stream or searched request reads the window and keeps the last lines here.
        let exact = search == nil && stdout && stderr
        var options = LogsOptions(follow: false, since: since, until: until, tail: exact ? tail : nil, timestamps: true)
        options.stdout = stdout
        options.stderr = stderr
        return options
    }

    /// False for lines the request excludes beyond what the engine filtered.
    public func admits(_ line: LogLine) -> Bool {
        if let before, let stamp = line.timestamp.flatMap(LogInstant.init), stamp >= before { return false }
        if let search, !search.matches(line.text) { return false }
        return true
    }
}

/// A case-insensitive substring, or a regular expression.
public struct LogMatcher: @unchecked Sendable {
    private let needle: String?
    private let regex: NSRegularExpression?

    public init(_ pattern: String, regex isRegex: Bool) throws {
        guard pattern.count <= 500 else { throw JarvisError.badRequest("q is longer than 500 characters", code: "invalid_parameter") }
        if isRegex {
            do {
                regex = try NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
            } catch {
                throw JarvisError.badRequest("q is not a valid regular expression", code: "invalid_regex")
            }
            needle = nil
        } else {
            needle = pattern.lowercased()
            regex = nil
        }
    }

    public func matches(_ text: String) -> Bool {
        if let needle { return text.lowercased().contains(needle) }
        let range = NSRange(text.startIndex..., in: text)
        return regex!.firstMatch(in: text, range: range) != nil
    }
}

/// Log time arguments: RFC 3339, unix seconds, or relative (`30s`, `15m`, `2h`, `7d`).
public enum LogTime {
    public static func engineTime(_ text: String, now: Date, name: String) throws -> String {
        if let match = text.range(of: #"^[0-9]+[smhd]$"#, options: .regularExpression), match == text.startIndex..<text.endIndex,
           let amount = Double(text.dropLast()) {
            let unit: Double = ["s": 1, "m": 60, "h": 3600, "d": 86400][text.last!]!
            let instant = now.timeIntervalSince1970 - amount * unit
            return String(format: "%.9f", instant)
        }
        if let seconds = Double(text), seconds >= 0, text.allSatisfy({ $0.isNumber || $0 == "." }) { return text }
        if let instant = LogInstant(text) { return instant.engineSince }
        throw JarvisError.badRequest("\(name) must be RFC 3339 (2026-01-02T15:04:05Z), unix seconds, or relative like 15m", code: "invalid_parameter")
    }
}

extension ContainerService {
    /// The container's log lines matching the request, oldest first, read as they arrive.
    public func logStream(_ id: String, _ request: LogRequest) async throws -> AsyncThrowingStream<LogLine, Error> {
        let target = try await details(id)
        let lines = try await engine { try await docker.logs(target.id, options: request.engineOptions, tty: target.config.tty ?? false) }
        var iterator = lines.makeAsyncIterator()
        return AsyncThrowingStream {
            while let line = try await iterator.next() {
                if request.admits(line) { return line }
            }
            return nil
        }
    }

    /// At most `tail` lines (the last ones) matching the request, oldest first. When
    /// searching, the engine's whole window is scanned and only the last matches kept.
    public func logHistory(_ id: String, _ request: LogRequest) async throws -> [LogLine] {
        let limit = request.tail ?? LogRequest.maxTail
        var ring: [LogLine] = []
        ring.reserveCapacity(min(limit, 1024))
        var start = 0
        for try await line in try await logStream(id, request) {
            guard limit > 0 else { break }
            if ring.count < limit { ring.append(line) } else { ring[start] = line; start = (start + 1) % limit }
        }
        return Array(ring[start...] + ring[..<start])
    }
}
