/// `pull_policy` values beyond always/never/missing/build: `daily`, `weekly` and `every_<duration>`
/// pull again once the local image is older than the interval (compose-go's refresh policies).
public enum PullPolicy {
    /// Seconds between pulls for a refresh policy; nil for every other value.
    public static func refreshInterval(_ policy: String) -> Double? {
        switch policy {
        case "daily": return 86_400
        case "weekly": return 7 * 86_400
        default:
            guard policy.hasPrefix("every_"), let seconds = interval(String(policy.dropFirst(6))), seconds > 0 else { return nil }
            return seconds
        }
    }

    /// A duration as compose-go reads it (str2duration): Go's units and `d`, `w`; every number has its unit,
    /// so `every_5` and `every_inf` are not intervals.
    static func interval(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
                                         ("d", 86_400), ("w", 7 * 86_400)]
        var rest = Substring(text), total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { ("0"..."9").contains($0) || $0 == "." }
            guard !digits.isEmpty, let number = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            total += number * unit.1
            rest = rest.dropFirst(unit.0.count)
        }
        return total.isFinite ? total : nil
    }
}
