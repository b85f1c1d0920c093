import Foundation
import JarvisCore

/// How a FastCGI process shares its worker threads. Long requests (uploads,
/// downloads, stops with a grace period: `Route.long`) may hold at most
/// `longSlots` workers, and one caller at most `perCaller` of those, so
/// `reservedShort` workers are always left for health, login and the rest.
/// A pure value: the server keeps one behind a lock (`LongLane`).
public struct WorkerLanes: Sendable, Equatable {
    public struct Limits: Sendable, Equatable {
        public let threads: Int
        public let longSlots: Int
        public let perCaller: Int

        /// Clamps the configured numbers: at least one worker stays short whenever
        /// there are two, and with a single thread (mod_fcgid scales by processes,
        /// one request each) long requests still run.
        public init(threads: Int, longRequests: Int, perCaller: Int) {
            self.threads = max(1, threads)
            longSlots = self.threads == 1 ? 1 : min(max(1, longRequests), self.threads - 1)
            self.perCaller = min(max(1, perCaller), longSlots)
        }

        /// Workers no long request can take.
        public var reservedShort: Int { threads - longSlots }
    }

    /// The answer to a long request that asks for a worker.
    public enum Decision: Sendable, Equatable {
        case admitted
        /// Every long slot is taken (503).
        case busy
        /// This caller already holds its share (429).
        case callerLimit
    }

    public let limits: Limits
    public private(set) var longInFlight = 0
    private var byCaller: [String: Int] = [:]

    public init(_ limits: Limits) { self.limits = limits }

    /// Takes a long slot for `caller` (a user id, or the address of an anonymous client), if one is free.
    public mutating func acquire(caller: String) -> Decision {
        if byCaller[caller, default: 0] >= limits.perCaller { return .callerLimit }
        if longInFlight >= limits.longSlots { return .busy }
        longInFlight += 1
        byCaller[caller, default: 0] += 1
        return .admitted
    }

    /// Gives back a slot taken by `acquire`; a caller that holds none is ignored.
    public mutating func release(caller: String) {
        guard let held = byCaller[caller], held > 0 else { return }
        byCaller[caller] = held == 1 ? nil : held - 1
        longInFlight -= 1
    }

    /// Long slots `caller` holds now.
    public func held(by caller: String) -> Int { byCaller[caller, default: 0] }
}

/// `WorkerLanes` shared by the worker threads of one process.
public final class LongLane: @unchecked Sendable {
    private let lock = NSLock()
    private var lanes: WorkerLanes
    /// Seconds a refused client is told to wait before trying again.
    public static let retryAfter = 5

    public init(_ limits: WorkerLanes.Limits) { lanes = WorkerLanes(limits) }

    public var limits: WorkerLanes.Limits { lanes.limits }
    public var inFlight: Int { lock.withLock { lanes.longInFlight } }

    /// A slot for `caller`, or the error to answer at once (without reading the body).
    public func acquire(caller: String) -> Result<LongLaneTicket, JarvisError> {
        let decision = lock.withLock { lanes.acquire(caller: caller) }
        let retry = ("Retry-After", String(Self.retryAfter))
        switch decision {
        case .admitted:
            return .success(LongLaneTicket(lane: self, caller: caller))
        case .busy:
            var error = JarvisError(503, "busy", "\(lanes.limits.longSlots) long requests (uploads, downloads, stops) are running; try again shortly")
            error.headers.append(retry)
            return .failure(error)
        case .callerLimit:
            var error = JarvisError(429, "too_many_long_requests",
                                    "you already have \(lanes.limits.perCaller) long requests (uploads, downloads, stops) running; wait for one to end")
            error.headers.append(retry)
            return .failure(error)
        }
    }

    fileprivate func release(caller: String) { lock.withLock { lanes.release(caller: caller) } }
}

/// A held long slot; `release()` gives it back (once).
public final class LongLaneTicket: @unchecked Sendable {
    private let lane: LongLane
    private let caller: String
    private var released = false

    fileprivate init(lane: LongLane, caller: String) {
        self.lane = lane
        self.caller = caller
    }

    public func release() {
        guard !released else { return }
        released = true
        lane.release(caller: caller)
    }

    deinit { release() }
}
