import GRDB

/// One point of a resource history: averages over `step` seconds from `at` (unix seconds),
/// rates in bytes per second. The host's point (`containerID` "") sums its containers.
public struct ResourcePoint: Codable, Sendable, Equatable {
    public var containerID: String
    public var step: Int
    public var at: Int64
    public var cpu: Double?
    public var cpuMax: Double?
    public var memory: Int64?
    public var memoryMax: Int64?
    public var memoryLimit: Int64?
    public var rx: Double?
    public var tx: Double?
    public var read: Double?
    public var write: Double?

    public init(containerID: String, step: Int, at: Int64, cpu: Double? = nil, cpuMax: Double? = nil, memory: Int64? = nil,
                memoryMax: Int64? = nil, memoryLimit: Int64? = nil, rx: Double? = nil, tx: Double? = nil,
                read: Double? = nil, write: Double? = nil) {
        self.containerID = containerID
        self.step = step
        self.at = at
        self.cpu = cpu
        self.cpuMax = cpuMax
        self.memory = memory
        self.memoryMax = memoryMax
        self.memoryLimit = memoryLimit
        self.rx = rx
        self.tx = tx
        self.read = read
        self.write = write
    }
}

/// The tiers of the history: seconds per point and how many points each ring keeps.
public enum ResourceTier: Int, Sendable, CaseIterable {
    case tenSeconds = 10, minute = 60, tenMinutes = 600

    /// 1 hour, 24 hours and 7 days.
    public var points: Int {
        switch self {
        case .tenSeconds: 360
        case .minute: 1440
        case .tenMinutes: 1008
        }
    }

    public var span: Int64 { Int64(rawValue * points) }
}

extension AppDatabase {
    /// Writes (or overwrites) points of a host's targets in one transaction; `seenAt` marks the targets alive.
    public func saveResourcePoints(hostID: Int64, _ points: [ResourcePoint], seenAt: Int64) throws {
        guard !points.isEmpty else { return }
        try pool.write { db in
            let target = try db.cachedStatement(sql: """
                INSERT INTO resource_targets (host_id, container_id, last_seen) VALUES (?, ?, ?)
                ON CONFLICT (host_id, container_id) DO UPDATE SET last_seen = excluded.last_seen
                RETURNING id
                """)
            let point = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO resource_history
                    (target, step, slot, at, cpu, cpu_max, memory, memory_max, memory_limit, rx, tx, read, write)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var targets: [String: Int64] = [:]
            for p in points {
                let id: Int64
                if let known = targets[p.containerID] {
                    id = known
                } else {
                    guard let fetched = try Int64.fetchOne(target, arguments: [hostID, p.containerID, seenAt]) else { continue }
                    targets[p.containerID] = fetched
                    id = fetched
                }
                let points = Int64(ResourceTier(rawValue: p.step)?.points ?? 1)
                try point.execute(arguments: [id, p.step, (p.at / Int64(p.step)) % points, p.at, p.cpu, p.cpuMax, p.memory, p.memoryMax,
                                              p.memoryLimit, p.rx, p.tx, p.read, p.write])
            }
        }
    }

    /// The points of one target in a tier from `since` on, oldest first (ring slots older than that are skipped).
    public func resourceHistory(hostID: Int64, containerID: String, tier: ResourceTier, since: Int64) throws -> [ResourcePoint] {
        try pool.read { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT h.* FROM resource_history h JOIN resource_targets t ON t.id = h.target
                WHERE t.host_id = ? AND t.container_id = ? AND h.step = ? AND h.at >= ?
                ORDER BY h.at
                """), arguments: [hostID, containerID, tier.rawValue, since])
            return rows.map { row in
                ResourcePoint(containerID: containerID, step: row["step"], at: row["at"], cpu: row["cpu"], cpuMax: row["cpu_max"],
                              memory: row["memory"], memoryMax: row["memory_max"], memoryLimit: row["memory_limit"],
                              rx: row["rx"], tx: row["tx"], read: row["read"], write: row["write"])
            }
        }
    }

    /// Forgets the history of targets not seen since `before` (removed containers, after the longest tier's span).
    @discardableResult
    public func forgetResourceTargets(seenBefore before: Int64) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM resource_targets WHERE last_seen < ?", arguments: [before])
            return db.changesCount
        }
    }
}
