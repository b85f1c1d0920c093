import Foundation

/// When a job fires: a cron expression, a fixed interval, or once; each read in an IANA time zone.
public struct Trigger: Sendable, Equatable {
    /// The three shapes of trigger.
    public enum Kind: Sendable, Equatable {
        /// Cron fields, evaluated in `zone`.
        case cron(CronExpression)
        /// Every `seconds`, counted from `anchor` (the Unix epoch when none: aligned to the clock).
        case interval(seconds: Int64, anchor: Int64)
        /// Once, at an instant.
        case once(at: Int64)
    }

    public let kind: Kind
    /// The zone wall-clock fields are read in.
    public let zone: TimeZone
    /// Up to this many seconds added to each fire (spreads many jobs due at once); 0 for none.
    public let jitterSeconds: Int

    /// Builds a trigger from parts already checked.
    public init(kind: Kind, zone: TimeZone, jitterSeconds: Int = 0) {
        self.kind = kind; self.zone = zone; self.jitterSeconds = jitterSeconds
    }

    /// The next `count` nominal fire instants strictly after `after` (jitter not added), earliest first.
    public func nextFires(after: Date, count: Int) -> [Date] {
        guard count > 0 else { return [] }
        let t = Int64(after.timeIntervalSince1970.rounded(.down))
        switch kind {
        case .once(let at):
            return Double(at) > after.timeIntervalSince1970 ? [Date(timeIntervalSince1970: TimeInterval(at))] : []
        case .interval(let seconds, let anchor):
            let elapsed = t - anchor
            let k = elapsed < 0 ? 0 : elapsed / seconds + 1
            return (0..<Int64(count)).map { Date(timeIntervalSince1970: TimeInterval(anchor + (k + $0) * seconds)) }
        case .cron(let expression):
            return cronFires(expression, after: t, count: count).map { Date(timeIntervalSince1970: TimeInterval($0)) }
        }
    }

    /// The next fire after `after`, or nil when the trigger is spent.
    public func nextFire(after: Date) -> Date? { nextFires(after: after, count: 1).first }

    /// The jitter for one fire: a stable pseudo-random delay in [0, jitterSeconds] from `seed` (a job id) and the fire.
    public func jitter(seed: Int64, fire: Date) -> TimeInterval {
        guard jitterSeconds > 0 else { return 0 }
        var x = UInt64(bitPattern: seed) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: Int64(fire.timeIntervalSince1970))
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        return TimeInterval(x % UInt64(jitterSeconds + 1))
    }

    /// Walks matching wall-clock times and maps each to instants (see `CronExpression.isWildcard` for the DST rules).
    private func cronFires(_ cron: CronExpression, after t: Int64, count: Int) -> [Int64] {
        let clock = ZoneClock(zone: zone)
        // Near an offset change a wall-clock time before ours can map to an instant after it: start 3 h earlier there.
        var local = clock.naive(t)
        if clock.changes(near: t, within: 3 * 3600) { local = clock.naive(t - 3 * 3600) }
        var out: [Int64] = []
        var pending: [Int64] = []   // second occurrences of repeated times, emitted in instant order
        func emit(_ instant: Int64) {
            while let p = pending.first, p < instant, out.count < count { pending.removeFirst(); if p > t, p != out.last { out.append(p) } }
            if out.count < count, instant > t, instant != out.last, out.last.map({ instant > $0 }) ?? true { out.append(instant) }
        }
        while out.count < count {
            guard let next = cron.nextLocal(after: local) else { break }
            local = next
            switch clock.resolve(next) {
            case .single(let instant): emit(instant)
            case .repeated(let first, let second):
                emit(first)
                if cron.isWildcard { pending.append(second); pending.sort() }
            case .skipped(let jump):
                if !cron.isWildcard { emit(jump) }
            }
        }
        return out
    }
}
