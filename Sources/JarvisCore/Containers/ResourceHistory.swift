import Foundation
import JarvisStore

/// One container's numbers at one sample, as the stats sampler reads them: CPU in percent of one
/// CPU, memory in use, and the cumulative network and block I/O byte counters.
public struct ResourceSample: Sendable {
    public var containerID: String
    public var cpu: Double?
    public var memory: Int64?
    public var memoryLimit: Int64?
    public var rxTotal: UInt64?
    public var txTotal: UInt64?
    public var readTotal: UInt64?
    public var writeTotal: UInt64?

    public init(containerID: String, cpu: Double?, memory: Int64?, memoryLimit: Int64?, rxTotal: UInt64?, txTotal: UInt64?,
                readTotal: UInt64?, writeTotal: UInt64?) {
        self.containerID = containerID
        self.cpu = cpu
        self.memory = memory
        self.memoryLimit = memoryLimit
        self.rxTotal = rxTotal
        self.txTotal = txTotal
        self.readTotal = readTotal
        self.writeTotal = writeTotal
    }
}

/// Turns rounds of samples into history points: byte counters into rates (between two samples of the
/// same container; a counter that went back, after a restart, starts again), every tier's current
/// point averaged over the samples in it, and the host's point as the sum of its containers.
/// Not thread-safe: one per host sampler, used by its task only.
public struct ResourceHistoryRecorder: Sendable {
    private struct Counters { var at: Double; var rx, tx, read, write: UInt64? }
    private struct Bucket {
        var at: Int64
        var samples = 0, cpuSamples = 0, memorySamples = 0
        var cpuSum = 0.0, cpuMax = 0.0
        var memorySum = 0.0, memoryMax: Int64 = 0, memoryLimit: Int64?
        var bytes = [Double](repeating: 0, count: 4), seconds = [Double](repeating: 0, count: 4)
    }

    private var previous: [String: Counters] = [:]
    private var buckets: [String: [ResourceTier: Bucket]] = [:]

    public init() {}

    /// The points to write after one round sampled at `now` (unix seconds): each sampled container's and the
    /// host's ("") current point in every tier. Containers not in `samples` are forgotten.
    public mutating func record(_ samples: [ResourceSample], at now: Double) -> [ResourcePoint] {
        // No running container uses nothing; a first round has no CPU figure yet (it needs two samples).
        var host = ResourceSample(containerID: "", cpu: samples.isEmpty ? 0 : nil, memory: samples.isEmpty ? 0 : nil, memoryLimit: nil,
                                  rxTotal: nil, txTotal: nil, readTotal: nil, writeTotal: nil)
        var hostRates = [Double?](repeating: nil, count: 4)
        var seen = Set<String>()
        var points: [ResourcePoint] = []
        for sample in samples {
            seen.insert(sample.containerID)
            let counters = Counters(at: now, rx: sample.rxTotal, tx: sample.txTotal, read: sample.readTotal, write: sample.writeTotal)
            let rates = Self.rates(from: previous[sample.containerID], to: counters)
            previous[sample.containerID] = counters
            if let cpu = sample.cpu { host.cpu = (host.cpu ?? 0) + cpu }
            if let memory = sample.memory { host.memory = (host.memory ?? 0) + memory }
            for (index, rate) in rates.values.enumerated() { if let rate { hostRates[index] = (hostRates[index] ?? 0) + rate } }
            points += add(sample, rates: rates, at: now)
        }
        previous = previous.filter { seen.contains($0.key) }
        buckets = buckets.filter { $0.key.isEmpty || seen.contains($0.key) }
        // The host's rates are sums of rates: each round weighs the same.
        points += add(host, rates: Rates(values: hostRates, seconds: 1), at: now)
        return points
    }

    /// Bytes per second of rx, tx, read, write, and the seconds they cover.
    private struct Rates { var values: [Double?]; var seconds: Double }

    private static func rates(from old: Counters?, to new: Counters) -> Rates {
        guard let old, new.at > old.at else { return Rates(values: [nil, nil, nil, nil], seconds: 0) }
        let seconds = new.at - old.at
        func rate(_ a: UInt64?, _ b: UInt64?) -> Double? {
            guard let a, let b, b >= a else { return nil }
            return Double(b - a) / seconds
        }
        return Rates(values: [rate(old.rx, new.rx), rate(old.tx, new.tx), rate(old.read, new.read), rate(old.write, new.write)],
                     seconds: seconds)
    }

    private mutating func add(_ sample: ResourceSample, rates: Rates, at now: Double) -> [ResourcePoint] {
        var points: [ResourcePoint] = []
        for tier in ResourceTier.allCases {
            let start = Int64(now) / Int64(tier.rawValue) * Int64(tier.rawValue)
            var bucket = buckets[sample.containerID]?[tier]
            if bucket?.at != start { bucket = Bucket(at: start) }
            guard var b = bucket else { continue }
            b.samples += 1
            if let cpu = sample.cpu { b.cpuSamples += 1; b.cpuSum += cpu; b.cpuMax = max(b.cpuMax, cpu) }
            if let memory = sample.memory {
                b.memorySamples += 1; b.memorySum += Double(memory); b.memoryMax = max(b.memoryMax, memory)
            }
            if let limit = sample.memoryLimit { b.memoryLimit = limit }
            // Rates weigh by the time they cover, so a bucket's rate is its bytes over its seconds.
            for (index, rate) in rates.values.enumerated() {
                guard let rate else { continue }
                b.bytes[index] += rate * rates.seconds
                b.seconds[index] += rates.seconds
            }
            buckets[sample.containerID, default: [:]][tier] = b
            let rate = { (index: Int) -> Double? in b.seconds[index] > 0 ? (b.bytes[index] / b.seconds[index]).rounded() : nil }
            points.append(ResourcePoint(
                containerID: sample.containerID, step: tier.rawValue, at: start,
                cpu: b.cpuSamples > 0 ? (b.cpuSum / Double(b.cpuSamples) * 100).rounded() / 100 : nil,
                cpuMax: b.cpuSamples > 0 ? (b.cpuMax * 100).rounded() / 100 : nil,
                memory: b.memorySamples > 0 ? Int64(b.memorySum / Double(b.memorySamples)) : nil,
                memoryMax: b.memorySamples > 0 ? b.memoryMax : nil, memoryLimit: b.memoryLimit,
                rx: rate(0), tx: rate(1), read: rate(2), write: rate(3)))
        }
        return points
    }
}
