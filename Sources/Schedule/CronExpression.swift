import Foundation

/// A parsed cron expression: 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading
/// seconds field, or a macro (`@hourly`, `@daily`, `@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually`).
/// Matching follows Vixie cron: when both day fields are restricted, a day matches if EITHER matches.
public struct CronExpression: Sendable, Equatable {
    public let second: CronField
    public let minute: CronField
    public let hour: CronField
    public let dayOfMonth: CronField
    public let month: CronField
    public let dayOfWeek: CronField
    /// The text as given (trimmed).
    public let source: String

    /// True for jobs that run "every …" (minute or hour written with `*`, `@hourly`): as in Vixie cron they
    /// follow the wall clock across DST changes (a skipped time is not made up, a repeated hour runs again).
    /// Jobs at a fixed time fire once: a skipped time fires at the moment the clock jumps, a repeated one once.
    public var isWildcard: Bool { minute.star || hour.star }

    /// Parses `text`; errors name the field and the column.
    public init(_ text: String) throws(TriggerError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        source = trimmed
        if trimmed.hasPrefix("@") {
            let fields: String
            switch trimmed.lowercased() {
            case "@yearly", "@annually": fields = "0 0 1 1 *"
            case "@monthly": fields = "0 0 1 * *"
            case "@weekly": fields = "0 0 * * 0"
            case "@daily", "@midnight": fields = "0 0 * * *"
            case "@hourly": fields = "0 * * * *"
            default:
                throw TriggerError(field: "expression", position: 0,
                                   message: "unknown macro \(trimmed) (use @hourly, @daily, @weekly, @monthly or @yearly)")
            }
            let inner = try CronExpression(fields)
            second = inner.second; minute = inner.minute; dayOfMonth = inner.dayOfMonth; month = inner.month; dayOfWeek = inner.dayOfWeek
            // Vixie's @hourly is an "every hour" job (HR_STAR); the others run at a fixed time.
            hour = CronField(bits: inner.hour.bits, star: trimmed.lowercased() == "@hourly")
            return
        }
        // Split on blanks, remembering each field's column for errors.
        var parts: [(Substring, Int)] = []
        var index = trimmed.startIndex
        var column = 0
        let leading = text.prefix { $0 == " " || $0 == "\t" }.count
        while index < trimmed.endIndex {
            while index < trimmed.endIndex, trimmed[index] == " " || trimmed[index] == "\t" {
                index = trimmed.index(after: index); column += 1
            }
            guard index < trimmed.endIndex else { break }
            let start = index, startColumn = column
            while index < trimmed.endIndex, trimmed[index] != " ", trimmed[index] != "\t" {
                index = trimmed.index(after: index); column += 1
            }
            parts.append((trimmed[start..<index], startColumn + leading))
        }
        guard parts.count == 5 || parts.count == 6 else {
            throw TriggerError(field: "expression", position: nil,
                               message: parts.isEmpty ? "is empty"
                                   : "has \(parts.count) field\(parts.count == 1 ? "" : "s"); expected 5 (minute hour day-of-month month day-of-week) or 6 with seconds first")
        }
        let kinds: [CronFieldKind] = parts.count == 6
            ? [.second, .minute, .hour, .dayOfMonth, .month, .dayOfWeek]
            : [.minute, .hour, .dayOfMonth, .month, .dayOfWeek]
        var parsed: [CronField] = []
        for (kind, part) in zip(kinds, parts) { parsed.append(try kind.parse(part.0, offset: part.1)) }
        if parts.count == 5 { parsed.insert(CronField(bits: 1, star: false), at: 0) }
        second = parsed[0]; minute = parsed[1]; hour = parsed[2]; dayOfMonth = parsed[3]; month = parsed[4]; dayOfWeek = parsed[5]
        try checkReachable(dayOfMonthColumn: parts[parts.count - 3].1)
    }

    /// Refuses expressions that can never fire (`0 0 30 2 *`), which would otherwise look for ever.
    private func checkReachable(dayOfMonthColumn: Int) throws(TriggerError) {
        // Only when day-of-week adds no days of its own (Vixie: a starred day-of-week means AND).
        guard dayOfWeek.star, !dayOfMonth.star else { return }
        for m in 1...12 where month.contains(m) {
            let longest = m == 2 ? 29 : Civil.daysIn(year: 2001, month: m)
            if let d = dayOfMonth.next(atOrAfter: 1), d <= longest { return }
        }
        throw TriggerError(field: "day-of-month", position: dayOfMonthColumn,
                           message: "day \(dayOfMonth.first) never occurs in the months allowed")
    }

    /// Vixie's day rule: with either field starred, both must match; otherwise either.
    func dayMatches(year: Int, month m: Int, day: Int) -> Bool {
        let dom = dayOfMonth.contains(day)
        let dow = dayOfWeek.contains(Civil.weekday(days: Civil.days(year: year, month: m, day: day)))
        return dayOfMonth.star || dayOfWeek.star ? dom && dow : dom || dow
    }

    /// The first matching wall-clock time strictly after `naive` (local time counted as UTC seconds), or nil
    /// when none within `years` years.
    public func nextLocal(after naive: Int64, years: Int = 10) -> Int64? {
        var (y, mo, d, h, mi, s) = Civil.fields(naive + 1)
        let lastYear = y + years
        while y <= lastYear {
            guard month.contains(mo) else {
                if let next = month.next(atOrAfter: mo + 1) { mo = next } else { y += 1; mo = month.first }
                d = 1; h = 0; mi = 0; s = 0; continue
            }
            guard d <= Civil.daysIn(year: y, month: mo), dayMatches(year: y, month: mo, day: d) else {
                d += 1; h = 0; mi = 0; s = 0
                if d > Civil.daysIn(year: y, month: mo) { d = 1; mo += 1; if mo > 12 { mo = 1; y += 1 } }
                continue
            }
            guard let nh = hour.next(atOrAfter: h) else { d += 1; h = 0; mi = 0; s = 0; normalise(&y, &mo, &d); continue }
            if nh != h { h = nh; mi = 0; s = 0 }
            guard let nm = minute.next(atOrAfter: mi) else { h += 1; mi = 0; s = 0; if h > 23 { h = 0; d += 1; normalise(&y, &mo, &d) }; continue }
            if nm != mi { mi = nm; s = 0 }
            guard let ns = second.next(atOrAfter: s) else { mi += 1; s = 0; if mi > 59 { mi = 0; h += 1; if h > 23 { h = 0; d += 1; normalise(&y, &mo, &d) } }; continue }
            return Civil.naive(year: y, month: mo, day: d, hour: h, minute: mi, second: ns)
        }
        return nil
    }

    private func normalise(_ y: inout Int, _ mo: inout Int, _ d: inout Int) {
        if d > Civil.daysIn(year: y, month: mo) { d = 1; mo += 1; if mo > 12 { mo = 1; y += 1 } }
    }
}
