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

    /// `admits` for each line. A search runs on `LogMatcher.queue`, never on the
    /// cooperative pool: a batch of hard lines must not hold the threads that answer
    /// every other request of the process.
    public func admitted(_ lines: [LogLine]) async -> [Bool] {
        guard search != nil, !lines.isEmpty else { return lines.map(admits) }
        return await withCheckedContinuation { continuation in
            LogMatcher.queue.async { continuation.resume(returning: lines.map(self.admits)) }
        }
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
    /// A search that gave up (`LogMatcher.stopped`) ends the stream there.
    public func logStream(_ id: String, _ request: LogRequest) async throws -> AsyncThrowingStream<LogLine, Error> {
        let target = try await details(id)
        let batches = try await engine { try await docker.logBatches(target.id, options: request.engineOptions, tty: target.config.tty ?? false) }
        var iterator = batches.makeAsyncIterator()
        var ready: [LogLine] = []
        var next = 0
        return AsyncThrowingStream {
            while next == ready.count {
                if request.search?.stopped == true { return nil }
                guard let batch = try await iterator.next() else { return nil }
                let keep = await request.admitted(batch)
                ready = zip(batch, keep).compactMap { $1 ? $0 : nil }
                next = 0
            }
            next += 1
            return ready[next - 1]
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
