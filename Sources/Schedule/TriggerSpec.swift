import Foundation

/// A trigger as stored and sent over the API: `{"type":"cron","expression":"*/5 * * * *","timezone":"Europe/Berlin"}`,
/// `{"type":"interval","every_seconds":300}`, `{"type":"once","at":"2026-12-24T18:00:00","timezone":"Asia/Shanghai"}`;
/// each may add `"jitter_seconds"`. Coded with camel-case keys: the API's snake-case coders map them.
public struct TriggerSpec: Codable, Sendable, Equatable {
    public var type: String
    public var expression: String?
    public var timezone: String?
    public var everySeconds: Int64?
    public var at: String?
    public var jitterSeconds: Int?

    /// Makes a spec from its parts.
    public init(type: String, expression: String? = nil, timezone: String? = nil, everySeconds: Int64? = nil,
                at: String? = nil, jitterSeconds: Int? = nil) {
        self.type = type; self.expression = expression; self.timezone = timezone
        self.everySeconds = everySeconds; self.at = at; self.jitterSeconds = jitterSeconds
    }

    /// Longest interval and jitter accepted (a year and a day).
    public static let longestSeconds: Int64 = 366 * 86400

    /// Checks the spec and builds the trigger; `anchor` is where intervals count from (a job's creation).
    public func trigger(anchor: Int64 = 0) throws(TriggerError) -> Trigger {
        let zoneName = timezone ?? "UTC"
        guard !zoneName.isEmpty, let zone = TimeZone(identifier: zoneName) else {
            throw TriggerError(field: "timezone", message: "\"\(zoneName)\" is not an IANA time zone (for example Europe/Berlin)")
        }
        let jitter = jitterSeconds ?? 0
        guard (0...Int(Self.longestSeconds)).contains(jitter) else {
            throw TriggerError(field: "jitter_seconds", message: "\(jitter) is out of range 0-\(Self.longestSeconds)")
        }
        switch type {
        case "cron":
            guard let expression, !expression.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw TriggerError(field: "expression", message: "is required for a cron trigger")
            }
            return Trigger(kind: .cron(try CronExpression(expression)), zone: zone, jitterSeconds: jitter)
        case "interval":
            guard let every = everySeconds else { throw TriggerError(field: "every_seconds", message: "is required for an interval trigger") }
            guard (1...Self.longestSeconds).contains(every) else {
                throw TriggerError(field: "every_seconds", message: "\(every) is out of range 1-\(Self.longestSeconds)")
            }
            return Trigger(kind: .interval(seconds: every, anchor: anchor), zone: zone, jitterSeconds: jitter)
        case "once":
            guard let at else { throw TriggerError(field: "at", message: "is required for a once trigger") }
            return Trigger(kind: .once(at: try Self.instant(at, zone: zone)), zone: zone, jitterSeconds: jitter)
        default:
            throw TriggerError(field: "type", message: "\"\(type)\" is not one of cron, interval, once")
        }
    }

    /// `YYYY-MM-DDTHH:MM[:SS]` read in `zone` (a skipped time becomes the jump, a repeated one its first
    /// occurrence), or with `Z` / `±HH:MM` as an instant.
    static func instant(_ text: String, zone: TimeZone) throws(TriggerError) -> Int64 {
        let bad = TriggerError(field: "at", message: "\"\(text)\" is not a date-time like 2026-12-24T18:00:00 (optionally with Z or +08:00)")
        var body = Substring(text.replacingOccurrences(of: " ", with: "T"))
        var offset: Int64?
        if body.hasSuffix("Z") || body.hasSuffix("z") { offset = 0; body = body.dropLast() }
        else if body.count > 6, let sign = body.dropLast(5).last, sign == "+" || sign == "-", body.suffix(6).dropFirst().contains(":") {
            let tail = body.suffix(5)
            guard let h = Int(tail.prefix(2)), let m = Int(tail.suffix(2)), h < 24, m < 60 else { throw bad }
            offset = Int64(h * 3600 + m * 60) * (sign == "-" ? -1 : 1)
            body = body.dropLast(6)
        }
        let halves = body.split(separator: "T")
        guard halves.count == 2 else { throw bad }
        let date = halves[0].split(separator: "-").map { Int($0) }
        let time = halves[1].split(separator: ":").map { Int($0) }
        guard date.count == 3, (2...3).contains(time.count), let y = date[0], let mo = date[1], let d = date[2],
              let h = time[0], let mi = time[1], (1970...9999).contains(y), (1...12).contains(mo),
              (1...Civil.daysIn(year: y, month: mo)).contains(d), (0...23).contains(h), (0...59).contains(mi) else { throw bad }
        let s = time.count == 3 ? time[2] : 0
        guard let s, (0...59).contains(s) else { throw bad }
        let naive = Civil.naive(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
        if let offset { return naive - offset }
        switch ZoneClock(zone: zone).resolve(naive) {
        case .single(let instant), .repeated(let instant, _), .skipped(let instant): return instant
        }
    }
}
