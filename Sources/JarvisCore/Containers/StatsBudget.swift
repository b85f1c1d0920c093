import Foundation

/// The stats calls jarvis-sse may make per second across every host: each one
/// costs about a millisecond of CPU, so a thousand running containers sampled
/// every 10 s would keep a tenth of a core busy. Past the budget a sampling round
/// simply takes longer (the numbers get older), the process stays light.
public actor StatsBudget {
    private let interval: Double
    private var next: Double = 0

    /// `perSecond` 0 means no limit.
    public init(perSecond: Int) {
        interval = perSecond > 0 ? 1 / Double(perSecond) : 0
    }

    /// Waits for this call's slot.
    public func take() async {
        guard interval > 0 else { return }
        let now = Double(DispatchTime.now().uptimeNanoseconds) / 1_000_000_000
        let slot = max(now, next)
        next = slot + interval
        if slot > now { try? await Task.sleep(nanoseconds: UInt64((slot - now) * 1_000_000_000)) }
    }
}
