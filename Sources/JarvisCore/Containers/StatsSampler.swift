import DockerEngine
import Foundation
import JarvisStore
import Logging

/// Samples CPU and memory of every running container every `interval` seconds
/// (one-shot stats calls, 16 at a time: the engine takes about a second for each) and stores the latest numbers, so the
/// list shows them without waiting on the engine's slow stats endpoint. CPU % is
/// computed as `docker stats` does, from this sample and the previous one.
public final class StatsSampler: @unchecked Sendable {
    let docker: DockerClient
    let database: AppDatabase
    let hostID: Int64
    let logger: Logger
    let interval: Double
    let concurrency: Int
    /// Shared by the samplers of every host.
    let budget: StatsBudget?
    private var previous: [String: CPUCounters] = [:]  // touched by `run`'s task only
    private var history = ResourceHistoryRecorder()  // the same
    private var forgottenAt = 0.0

    public init(docker: DockerClient, database: AppDatabase, hostID: Int64, logger: Logger, interval: Double, concurrency: Int = 16,
                budget: StatsBudget? = nil) {
        self.budget = budget
        self.docker = docker
        self.database = database
        self.hostID = hostID
        self.logger = logger
        self.interval = interval
        self.concurrency = concurrency
    }

    public func run() async {
        while !Task.isCancelled {
            let started = Date()
            do { try await sampleOnce() } catch {
                logger.warning("stats sampling failed", metadata: ["error": "\(error)"])
            }
            let rest = interval - Date().timeIntervalSince(started)
            if rest > 0 { try? await Task.sleep(nanoseconds: UInt64(rest * 1_000_000_000)) }
        }
    }

    /// One round over the running containers; returns how many were sampled.
    @discardableResult
    public func sampleOnce() async throws -> Int {
        let ids = try database.runningContainerIDs(hostID: hostID)
        var results: [(String, ContainerStatsSample)] = []
        var index = 0
        while index < ids.count {
            let batch = ids[index..<min(index + concurrency, ids.count)]
            index += concurrency
            await withTaskGroup(of: (String, ContainerStatsSample?).self) { group in
                for id in batch {
                    group.addTask {
                        await self.budget?.take()
                        return (id, try? await self.docker.containerStats(id))
                    }
                }
                for await (id, sample) in group { if let sample { results.append((id, sample)) } }
            }
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var records: [ContainerStatsRecord] = []
        var samples: [ResourceSample] = []
        var counters: [String: CPUCounters] = [:]
        for (id, sample) in results {
            let current = sample.cpuCounters
            counters[id] = current
            let cpu = current.flatMap { now in previous[id].flatMap { now.percent(since: $0) } }
            let network = sample.networks?.values
            records.append(ContainerStatsRecord(
                hostID: hostID, id: id, cpuPercent: cpu.map { ($0 * 100).rounded() / 100 }, memoryUsed: sample.memoryUsed.map { Int64(clamping: $0) },
                memoryLimit: sample.memoryStats?.limit.map { Int64(clamping: $0) },
                networkRx: network.map { Int64(clamping: $0.reduce(0) { $0 + ($1.rxBytes ?? 0) }) },
                networkTx: network.map { Int64(clamping: $0.reduce(0) { $0 + ($1.txBytes ?? 0) }) },
                pids: sample.pidsStats?.current, sampledAt: now))
            let record = records[records.count - 1]
            samples.append(ResourceSample(containerID: id, cpu: cpu, memory: record.memoryUsed, memoryLimit: record.memoryLimit,
                                          rxTotal: network.map { $0.reduce(0) { $0 &+ ($1.rxBytes ?? 0) } },
                                          txTotal: network.map { $0.reduce(0) { $0 &+ ($1.txBytes ?? 0) } },
                                          readTotal: sample.blkioStats?.total("read"), writeTotal: sample.blkioStats?.total("write")))
        }
        previous = counters
        try database.saveContainerStats(hostID: hostID, records)
        let seconds = Double(now) / 1000
        try database.saveResourcePoints(hostID: hostID, history.record(samples, at: seconds), seenAt: Int64(seconds))
        if seconds - forgottenAt > 3600 {
            // Removed containers keep their history as long as the longest tier shows it.
            forgottenAt = seconds
            try database.forgetResourceTargets(seenBefore: Int64(seconds) - ResourceTier.tenMinutes.span)
        }
        try database.deleteContainerStats(hostID: hostID, except: Set(ids))
        return records.count
    }
}
