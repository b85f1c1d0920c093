/// One field of a cron expression: the values it allows as a bit set, and whether it was written with `*`.
public struct CronField: Sendable, Equatable {
    /// Allowed values: bit `v` set when `v` matches.
    public let bits: UInt64
    /// Written starting with `*` (`*`, `*/5`): Vixie cron's STAR flag, which decides day OR/AND and DST handling.
    public let star: Bool

    /// True when `value` is allowed.
    public func contains(_ value: Int) -> Bool { value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0 }

    /// The smallest allowed value at or above `value`, or nil.
    public func next(atOrAfter value: Int) -> Int? {
        guard value < 64 else { return nil }
        let rest = bits >> UInt64(max(value, 0))
        guard rest != 0 else { return nil }
        return max(value, 0) + rest.trailingZeroBitCount
    }

    /// The smallest allowed value.
    public var first: Int { bits.trailingZeroBitCount }
}

/// What a field may hold: its name in errors, its range and the names it accepts.
struct CronFieldKind {
    let name: String
    let range: ClosedRange<Int>
    let names: [String]      // names[i] means range.lowerBound + i (months) or i (days)
    let nameBase: Int

    static let second = CronFieldKind(name: "second", range: 0...59, names: [], nameBase: 0)
    static let minute = CronFieldKind(name: "minute", range: 0...59, names: [], nameBase: 0)
    static let hour = CronFieldKind(name: "hour", range: 0...23, names: [], nameBase: 0)
    static let dayOfMonth = CronFieldKind(name: "day-of-month", range: 1...31, names: [], nameBase: 1)
    static let month = CronFieldKind(name: "month", range: 1...12,
                                     names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], nameBase: 1)
    // 7 is Sunday as well as 0, as in Vixie cron.
    static let dayOfWeek = CronFieldKind(name: "day-of-week", range: 0...7,
                                         names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], nameBase: 0)
}

extension CronFieldKind {
    /// Parses one field (`*`, `5`, `1-5`, `*/15`, `10-50/10`, `mon-fri`, lists of these); `offset` is its column in the expression.
    func parse(_ text: Substring, offset: Int) throws(TriggerError) -> CronField {
        guard !text.isEmpty else { throw TriggerError(field: name, position: offset, message: "is empty") }
        var bits: UInt64 = 0
        var column = offset
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw TriggerError(field: name, position: column, message: "has an empty list item") }
            bits |= try parseItem(part, offset: column)
            column += part.count + 1
        }
        if name == "day-of-week", bits & (1 << 7) != 0 { bits = (bits & ~(1 << 7)) | 1 }
        return CronField(bits: bits, star: text.hasPrefix("*"))
    }

    private func parseItem(_ item: Substring, offset: Int) throws(TriggerError) -> UInt64 {
        var rangeText = item
        var step = 1
        if let slash = item.firstIndex(of: "/") {
            rangeText = item[..<slash]
            let stepText = item[item.index(after: slash)...]
            let stepColumn = offset + item.distance(from: item.startIndex, to: slash) + 1
            guard let value = Int(stepText), value > 0 else {
                throw TriggerError(field: name, position: stepColumn, message: "step \"\(stepText)\" is not a positive number")
            }
            guard value <= range.upperBound - range.lowerBound + 1 else {
                throw TriggerError(field: name, position: stepColumn, message: "step \(value) is larger than the range \(range.lowerBound)-\(range.upperBound)")
            }
            step = value
        }
        let low: Int, high: Int
        if rangeText == "*" {
            low = range.lowerBound; high = name == "day-of-week" ? 6 : range.upperBound
        } else if let dash = rangeText.firstIndex(of: "-") {
            low = try value(rangeText[..<dash], offset: offset)
            let highColumn = offset + rangeText.distance(from: rangeText.startIndex, to: dash) + 1
            high = try value(rangeText[rangeText.index(after: dash)...], offset: highColumn)
            guard low <= high else {
                throw TriggerError(field: name, position: offset, message: "range \(rangeText) runs backwards (\(low) is after \(high))")
            }
        } else {
            low = try value(rangeText, offset: offset)
            // `5/15` means from 5 to the end of the range in steps of 15 (cronie, Quartz).
            high = step > 1 ? (name == "day-of-week" ? 6 : range.upperBound) : low
        }
        var bits: UInt64 = 0
        var v = low
        while v <= high { bits |= 1 << UInt64(v); v += step }
        return bits
    }

    private func value(_ text: Substring, offset: Int) throws(TriggerError) -> Int {
        guard !text.isEmpty else { throw TriggerError(field: name, position: offset, message: "has a range with a missing end") }
        if let number = Int(text), text.allSatisfy(\.isASCII) {
            guard range.contains(number) else {
                throw TriggerError(field: name, position: offset, message: "\(number) is out of range \(range.lowerBound)-\(range.upperBound)")
            }
            return number
        }
        if let index = names.firstIndex(of: text.lowercased()) { return nameBase + index }
        if names.isEmpty {
            throw TriggerError(field: name, position: offset, message: "\"\(text)\" is not a number")
        }
        throw TriggerError(field: name, position: offset,
                           message: "\"\(text)\" is not a number or a name (\(names.joined(separator: ", ")))")
    }
}
