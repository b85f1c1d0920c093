/// One sample of `GET /containers/{id}/stats`, the counters `docker stats` uses.
public struct ContainerStatsSample: Decodable, Sendable {
    public let read: String?
    public let cpuStats: CPUStats?
    public let memoryStats: MemoryStats?
    public let networks: [String: NetworkStats]?
    public let pidsStats: PidsStats?
    public let blkioStats: BlockIOStats?

    enum CodingKeys: String, CodingKey {
        case read, cpuStats = "cpu_stats", memoryStats = "memory_stats", networks, pidsStats = "pids_stats", blkioStats = "blkio_stats"
    }

    public struct CPUStats: Decodable, Sendable {
        public let cpuUsage: CPUUsage?
        public let systemCPUUsage: UInt64?
        public let onlineCPUs: Int?

        enum CodingKeys: String, CodingKey {
            case cpuUsage = "cpu_usage", systemCPUUsage = "system_cpu_usage", onlineCPUs = "online_cpus"
        }
    }

    public struct CPUUsage: Decodable, Sendable {
        public let totalUsage: UInt64?
        public let percpuUsage: [UInt64]?

        enum CodingKeys: String, CodingKey { case totalUsage = "total_usage", percpuUsage = "percpu_usage" }
    }

    public struct MemoryStats: Decodable, Sendable {
        public let usage: UInt64?
        public let limit: UInt64?
        public let stats: MemoryCounters?
    }

    /// The counters of `memory_stats.stats` Jarvis reads. Only these: decoding the whole map
    /// (30-odd keys under cgroup v2) was the largest part of a sample's cost.
    public struct MemoryCounters: Decodable, Sendable {
        /// cgroup v1.
        public let totalInactiveFile: UInt64?
        /// cgroup v2.
        public let inactiveFile: UInt64?

        enum CodingKeys: String, CodingKey { case totalInactiveFile = "total_inactive_file", inactiveFile = "inactive_file" }
    }

    public struct NetworkStats: Decodable, Sendable {
        public let rxBytes: UInt64?
        public let txBytes: UInt64?

        enum CodingKeys: String, CodingKey { case rxBytes = "rx_bytes", txBytes = "tx_bytes" }
    }

    public struct PidsStats: Decodable, Sendable {
        public let current: Int?
    }

    /// `blkio_stats.io_service_bytes_recursive`: bytes read and written per device (op "read"/"write" on
    /// cgroup v2, "Read"/"Write" on v1; v1 adds "Total" and others, which are skipped).
    public struct BlockIOStats: Decodable, Sendable {
        public let ioServiceBytesRecursive: [Entry]?

        enum CodingKeys: String, CodingKey { case ioServiceBytesRecursive = "io_service_bytes_recursive" }

        public struct Entry: Decodable, Sendable {
            public let op: String
            public let value: UInt64
        }

        /// Total bytes of one operation over every device.
        public func total(_ operation: String) -> UInt64? {
            guard let entries = ioServiceBytesRecursive else { return nil }
            return entries.reduce(0) { $1.op.caseInsensitiveCompare(operation) == .orderedSame ? $0 &+ $1.value : $0 }
        }
    }

    /// Memory in use as `docker stats` shows it: usage without the inactive page cache
    /// (`inactive_file` on cgroup v2, `total_inactive_file` on v1).
    public var memoryUsed: UInt64? {
        guard let usage = memoryStats?.usage else { return nil }
        let cache = memoryStats?.stats?.totalInactiveFile ?? memoryStats?.stats?.inactiveFile ?? 0
        return cache < usage ? usage - cache : usage
    }

    /// CPU counters for a later delta.
    public var cpuCounters: CPUCounters? {
        guard let total = cpuStats?.cpuUsage?.totalUsage, let system = cpuStats?.systemCPUUsage else { return nil }
        let cpus = cpuStats?.onlineCPUs ?? cpuStats?.cpuUsage?.percpuUsage?.count ?? 1
        return CPUCounters(containerTotal: total, systemTotal: system, onlineCPUs: max(cpus, 1))
    }
}

/// Cumulative CPU counters of one sample; two of them give a percentage.
public struct CPUCounters: Sendable, Equatable {
    public let containerTotal: UInt64
    public let systemTotal: UInt64
    public let onlineCPUs: Int

    public init(containerTotal: UInt64, systemTotal: UInt64, onlineCPUs: Int) {
        self.containerTotal = containerTotal
        self.systemTotal = systemTotal
        self.onlineCPUs = onlineCPUs
    }

    /// Percent of one CPU × online CPUs, computed as the docker CLI does; nil when the
    /// counters went backwards (container restarted) or no time passed.
    public func percent(since previous: CPUCounters) -> Double? {
        guard containerTotal >= previous.containerTotal, systemTotal > previous.systemTotal else { return nil }
        let container = Double(containerTotal - previous.containerTotal)
        let system = Double(systemTotal - previous.systemTotal)
        return container / system * Double(onlineCPUs) * 100
    }
}
