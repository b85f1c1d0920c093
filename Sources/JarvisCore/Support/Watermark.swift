/// A monotonic position others can wait for: the events relay waits until the
/// mirror stored an event, task streams until the runner wrote a progress row.
public actor Watermark {
    private var position: Int64 = 0
    private var waiters: [(Int64, CheckedContinuation<Void, Never>)] = []

    public init() {}

    public var current: Int64 { position }

    /// Moves one step on: for positions that count changes rather than carry a value.
    public func bump() { advance(to: position + 1) }

    public func advance(to value: Int64) {
        guard value > position else { return }
        position = value
        let ready = waiters.filter { $0.0 <= value }
        waiters.removeAll { $0.0 <= value }
        for (_, continuation) in ready { continuation.resume() }
    }

    /// Returns once the position reached `value`, or after `timeout` seconds.
    public func wait(for value: Int64, timeout: Double) async {
        if position >= value { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
            await self?.expire(value)
        }
        await withCheckedContinuation { waiters.append((value, $0)) }
        timer.cancel()
    }

    private func expire(_ value: Int64) {
        let expired = waiters.filter { $0.0 == value }
        waiters.removeAll { $0.0 == value }
        for (_, continuation) in expired { continuation.resume() }
    }
}
