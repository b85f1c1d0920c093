/// Proleptic Gregorian calendar arithmetic on "naive" seconds (a local wall-clock time counted as if it were UTC).
/// Pure integer maths (H. Hinnant's algorithms): no Calendar, no locale, fast enough to step minute by minute.
enum Civil {
    /// Days since 1970-01-01 of a date.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The date of a day count.
    static func date(days z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// 0 = Sunday.
    static func weekday(days: Int) -> Int { ((days % 7) + 7 + 4) % 7 }

    /// Splits naive seconds into fields.
    static func fields(_ naive: Int64) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let n = Int(naive)
        let dayCount = n >= 0 ? n / 86400 : (n - 86399) / 86400
        let rest = n - dayCount * 86400
        let d = date(days: dayCount)
        return (d.year, d.month, d.day, rest / 3600, rest % 3600 / 60, rest % 60)
    }

    /// Joins fields into naive seconds.
    static func naive(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) -> Int64 {
        Int64(days(year: year, month: month, day: day)) * 86400 + Int64(hour * 3600 + minute * 60 + second)
    }
}
