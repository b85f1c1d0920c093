import Foundation

/// `pull_policy` values beyond always/never/missing/build: `daily`, `weekly` and `every_<duration>`
/// pull again once the local image is older than the interval (compose-go's refresh policies).
public enum PullPolicy {
    /// Seconds between pulls for a refresh policy; nil for every other value.
    public static func refreshInterval(_ policy: String) -> Double? {
        switch policy {
        case "daily": return 86_400
        case "weekly": return 7 * 86_400
        default:
            guard policy.hasPrefix("every_"), let seconds = Units.duration(String(policy.dropFirst(6))), seconds > 0 else { return nil }
            return seconds
        }
    }
}
