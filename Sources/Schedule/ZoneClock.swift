import Foundation

/// Maps wall-clock times of one IANA zone to instants, with the DST cases named.
struct ZoneClock {
    let zone: TimeZone

    /// What a wall-clock time is in the zone.
    enum Resolution: Equatable {
        /// Exists once.
        case single(Int64)
        /// Exists twice (the clock went back): both instants, earlier first.
        case repeated(Int64, Int64)
        /// Does not exist (the clock jumped forward over it): the instant of the jump.
        case skipped(jump: Int64)
    }

    func offset(at instant: Int64) -> Int64 { Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))) }

    /// Resolves naive local seconds. Assumes at most one offset change within a day either side (true of every zone).
    func resolve(_ naive: Int64) -> Resolution {
        let before = offset(at: naive - 86400), after = offset(at: naive + 86400)
        if before == after {
            let o = offset(at: naive - before)
            if o == before { return .single(naive - before) }
            // Two changes within two days (never in tzdata today): fall back to the offset found.
            return .single(naive - o)
        }
        let early = naive - before, late = naive - after
        let earlyValid = offset(at: early) == before, lateValid = offset(at: late) == after
        switch (earlyValid, lateValid) {
        case (true, true): return .repeated(min(early, late), max(early, late))
        case (true, false): return .single(early)
        case (false, true): return .single(late)
        case (false, false):
            // The gap: the jump is in (naive - after, naive - before]; find the first instant with the new offset.
            var low = naive - after, high = naive - before
            while low < high {
                let mid = low + (high - low) / 2
                if offset(at: mid) == after { high = mid } else { low = mid + 1 }
            }
            return .skipped(jump: low)
        }
    }

    /// True when an offset change lies within `seconds` of `instant`.
    func changes(near instant: Int64, within seconds: Int64) -> Bool {
        offset(at: instant - seconds) != offset(at: instant + seconds)
            || offset(at: instant) != offset(at: instant - seconds)
    }

    /// Naive local seconds of an instant.
    func naive(_ instant: Int64) -> Int64 { instant + offset(at: instant) }
}
