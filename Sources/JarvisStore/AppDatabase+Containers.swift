import Foundation
import GRDB

/// One container as the engine listed it, kept by jarvis-sse's mirror so the
/// list never waits on the engine. `ports` and `labels` are JSON text.
public struct ContainerSnapshotRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "container_snapshot"
    public var hostID: Int64
    public var id: String
    public var name: String
    public var image: String
    public var imageID: String?
    public var command: String?
    public var created: Int64
    public var state: String
    public var status: String
    public var health: String?
    public var ports: String
    public var labels: String
    /// When the engine was asked (unix nanoseconds): an older observation never overwrites a newer one.
    public var observedAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, name, image, command, created, state, status, health, ports, labels
        case hostID = "host_id", imageID = "image_id", observedAt = "observed_at"
    }

    public init(hostID: Int64 = HostRecord.localID, id: String, name: String, image: String, imageID: String?, command: String?,
                created: Int64, state: String, status: String, health: String?, ports: String, labels: String, observedAt: Int64) {
        self.hostID = hostID
        self.id = id
        self.name = name
        self.image = image
        self.imageID = imageID
        self.command = command
        self.created = created
        self.state = state
        self.status = status
        self.health = health
        self.ports = ports
        self.labels = labels
        self.observedAt = observedAt
    }
}

/// The latest resource sample of a running container.
public struct ContainerStatsRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "container_stats"
    public var hostID: Int64
    public var id: String
    public var cpuPercent: Double?
    public var memoryUsed: Int64?
    public var memoryLimit: Int64?
    public var networkRx: Int64?
    public var networkTx: Int64?
    public var pids: Int?
    /// Unix milliseconds.
    public var sampledAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, pids
        case hostID = "host_id", cpuPercent = "cpu_percent", memoryUsed = "memory_used", memoryLimit = "memory_limit"
        case networkRx = "network_rx", networkTx = "network_tx", sampledAt = "sampled_at"
    }

    public init(hostID: Int64 = HostRecord.localID, id: String, cpuPercent: Double?, memoryUsed: Int64?, memoryLimit: Int64?,
                networkRx: Int64?, networkTx: Int64?, pids: Int?, sampledAt: Int64) {
        self.hostID = hostID
        self.id = id
        self.cpuPercent = cpuPercent
        self.memoryUsed = memoryUsed
        self.memoryLimit = memoryLimit
        self.networkRx = networkRx
        self.networkTx = networkTx
        self.pids = pids
        self.sampledAt = sampledAt
    }
}

/// Filters, order and paging of a snapshot query; all applied in SQL.
public struct ContainerSnapshotQuery: Sendable {
    public enum Sort: String, Sendable, CaseIterable { case name, created, state, cpu, memory }

    /// The hosts to list; nil lists every host.
    public var hostIDs: [Int64]?
    public var text: String?
    public var state: String?
    /// The engine's image id (`sha256:…`): containers of that image, whatever name they were created from.
    public var imageID: String?
    public var runningOnly = false
    /// `key` alone matches any value.
    public var labels: [(key: String, value: String?)] = []
    public var sort: Sort = .name
    public var descending = false
    public var limit = 50
    public var offset = 0

    public init() {}
}

extension AppDatabase {
    /// Replaces a host's whole snapshot with a complete engine listing taken at `observedAt`,
    /// keeping rows observed later (a single refresh that raced the listing).
    public func replaceContainerSnapshot(hostID: Int64, _ rows: [ContainerSnapshotRecord], observedAt: Int64) throws {
        try pool.write { db in
            let ids = Set(rows.map(\.id))
            let known = try String.fetchAll(db, sql: "SELECT id FROM container_snapshot WHERE host_id = ? AND observed_at <= ?",
                                            arguments: [hostID, observedAt])
            for id in known where !ids.contains(id) {
                try db.execute(sql: "DELETE FROM container_snapshot WHERE host_id = ? AND id = ?", arguments: [hostID, id])
                try db.execute(sql: "DELETE FROM container_stats WHERE host_id = ? AND id = ?", arguments: [hostID, id])
            }
            for var row in rows {
                row.hostID = hostID
                try Self.upsert(row, db)
            }
            try db.execute(sql: "UPDATE hosts SET mirror_synced_at = ? WHERE id = ?", arguments: [observedAt, hostID])
        }
    }

    /// Inserts or updates one container unless a newer observation is stored.
    public func upsertContainerSnapshot(_ row: ContainerSnapshotRecord) throws {
        try pool.write { db in try Self.upsert(row, db) }
    }

    private static func upsert(_ row: ContainerSnapshotRecord, _ db: Database) throws {
        // Cached: a resync writes every container of every host, and compiling the statement each time showed.
        try db.cachedStatement(sql: """
            INSERT INTO container_snapshot (host_id, id, name, image, image_id, command, created, state, status, health, ports, labels, observed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(host_id, id) DO UPDATE SET name = excluded.name, image = excluded.image, image_id = excluded.image_id,
                command = excluded.command, created = excluded.created, state = excluded.state, status = excluded.status,
                health = excluded.health, ports = excluded.ports, labels = excluded.labels, observed_at = excluded.observed_at
            WHERE excluded.observed_at >= container_snapshot.observed_at
            """).execute(arguments: [row.hostID, row.id, row.name, row.image, row.imageID, row.command, row.created, row.state,
                                     row.status, row.health, row.ports, row.labels, row.observedAt])
    }

    /// Forgets a removed container (observed gone at `observedAt`).
    public func deleteContainerSnapshot(hostID: Int64, id: String, observedAt: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM container_snapshot WHERE host_id = ? AND id = ? AND observed_at <= ?",
                           arguments: [hostID, id, observedAt])
            try db.execute(sql: "DELETE FROM container_stats WHERE host_id = ? AND id = ?", arguments: [hostID, id])
        }
    }

    /// The mirror lost a host's engine (nil: every host, when jarvis-sse stops): its rows are last known, not live.
    public func markContainerMirrorStale(hostID: Int64? = nil) throws {
        try pool.write { db in
            if let hostID {
                try db.execute(sql: "UPDATE hosts SET mirror_synced_at = NULL WHERE id = ?", arguments: [hostID])
            } else {
                try db.execute(sql: "UPDATE hosts SET mirror_synced_at = NULL")
            }
        }
    }

    /// When the mirror last completed a full listing of a host (unix nanoseconds), if ever.
    public func containerMirrorSyncedAt(hostID: Int64) throws -> Int64? {
        try pool.read { try Int64.fetchOne($0, sql: "SELECT mirror_synced_at FROM hosts WHERE id = ?", arguments: [hostID]) }
    }

    /// One page of the snapshot with the stats of each row, and the total before paging.
    public func containerSnapshot(_ query: ContainerSnapshotQuery) throws -> (rows: [(ContainerSnapshotRecord, ContainerStatsRecord?)], total: Int) {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let hosts = query.hostIDs {
            conditions.append("c.host_id IN (\(hosts.isEmpty ? "NULL" : hosts.map { _ in "?" }.joined(separator: ",")))")
            arguments += hosts.map { $0 }
        }
        if let text = query.text?.lowercased(), !text.isEmpty {
            let literal = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            conditions.append("(lower(c.name) LIKE ? ESCAPE '\\' OR lower(c.image) LIKE ? ESCAPE '\\' OR c.id LIKE ? ESCAPE '\\')")
            arguments += ["%" + literal + "%", "%" + literal + "%", literal + "%"]
        }
        if let state = query.state { conditions.append("c.state = ?"); arguments.append(state) }
        if let image = query.imageID { conditions.append("c.image_id = ?"); arguments.append(image) }
        if query.runningOnly { conditions.append("c.state = 'running'") }
        for label in query.labels {
            let path = "$.\"" + label.key.replacingOccurrences(of: "\"", with: "") + "\""
            if let value = label.value {
                conditions.append("json_extract(c.labels, ?) = ?"); arguments += [path, value]
            } else {
                conditions.append("json_type(c.labels, ?) IS NOT NULL"); arguments.append(path)
            }
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let direction = query.descending ? "DESC" : "ASC"
        let order: String
        switch query.sort {
        case .name: order = "c.name \(direction), c.host_id"
        case .created: order = "c.created \(direction), c.name"
        case .state: order = "c.state \(direction), c.name"
        case .cpu: order = "s.cpu_percent IS NULL, s.cpu_percent \(direction), c.name"
        case .memory: order = "s.memory_used IS NULL, s.memory_used \(direction), c.name"
        }
        return try pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM container_snapshot c \(whereClause)",
                                         arguments: StatementArguments(arguments)!) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.*, s.id AS stats_id, s.cpu_percent, s.memory_used, s.memory_limit, s.network_rx, s.network_tx, s.pids, s.sampled_at
                FROM container_snapshot c LEFT JOIN container_stats s ON s.host_id = c.host_id AND s.id = c.id
                \(whereClause) ORDER BY \(order) LIMIT ? OFFSET ?
                """, arguments: StatementArguments(arguments + [query.limit, query.offset])!)
            return (rows.map { row in
                let stats: ContainerStatsRecord? = (row["stats_id"] as String?).map { id in
                    ContainerStatsRecord(hostID: row["host_id"], id: id, cpuPercent: row["cpu_percent"], memoryUsed: row["memory_used"],
                                         memoryLimit: row["memory_limit"], networkRx: row["network_rx"], networkTx: row["network_tx"],
                                         pids: row["pids"], sampledAt: row["sampled_at"])
                }
                return (try! ContainerSnapshotRecord(row: row), stats)
            }, total)
        }
    }

    /// Stores the latest samples of a host in one transaction.
    public func saveContainerStats(hostID: Int64, _ samples: [ContainerStatsRecord]) throws {
        guard !samples.isEmpty else { return }
        // One cached statement with plain arguments: the sampler writes every few milliseconds with
        // many hosts, and a record's save() (update, then insert, through Codable) cost more than the sample.
        try pool.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO container_stats
                    (host_id, id, cpu_percent, memory_used, memory_limit, network_rx, network_tx, pids, sampled_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for sample in samples {
                try statement.execute(arguments: [hostID, sample.id, sample.cpuPercent, sample.memoryUsed, sample.memoryLimit,
                                                  sample.networkRx, sample.networkTx, sample.pids, sample.sampledAt])
            }
        }
    }

    /// The latest samples of these containers (for the engine-backed list when the mirror is stale).
    public func containerStats(hostID: Int64, ids: [String]) throws -> [String: ContainerStatsRecord] {
        guard !ids.isEmpty else { return [:] }
        return try pool.read { db in
            let rows = try ContainerStatsRecord.filter(Column("host_id") == hostID && ids.contains(Column("id"))).fetchAll(db)
            return Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Forgets samples of containers that stopped (their numbers would mislead).
    public func deleteContainerStats(hostID: Int64, except running: Set<String>) throws {
        try pool.write { db in
            let ids = try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM container_stats WHERE host_id = ?"), arguments: [hostID])
            for id in ids where !running.contains(id) {
                try db.execute(sql: "DELETE FROM container_stats WHERE host_id = ? AND id = ?", arguments: [hostID, id])
            }
        }
    }

    /// The snapshot row of a container by full id, name, or an id prefix of at least 4 characters.
    public func containerSnapshotRow(hostID: Int64, idOrName: String) throws -> ContainerSnapshotRecord? {
        try pool.read { db in
            if let row = try ContainerSnapshotRecord.filter(Column("host_id") == hostID
                && (Column("id") == idOrName || Column("name") == idOrName)).fetchOne(db) {
                return row
            }
            guard idOrName.count >= 4, idOrName.allSatisfy(\.isHexDigit) else { return nil }
            let matches = try ContainerSnapshotRecord.filter(Column("host_id") == hostID && Column("id").like(idOrName + "%")).limit(2).fetchAll(db)
            return matches.count == 1 ? matches[0] : nil
        }
    }

    /// Ids of the containers the snapshot says are running on a host.
    public func runningContainerIDs(hostID: Int64) throws -> [String] {
        try pool.read {
            try String.fetchAll($0.cachedStatement(sql: "SELECT id FROM container_snapshot WHERE host_id = ? AND state = 'running'"),
                                arguments: [hostID])
        }
    }

    /// How many containers a host's snapshot has in each state.
    public func containerStateCounts(hostID: Int64) throws -> [String: Int] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM container_snapshot WHERE host_id = ? GROUP BY state",
                                        arguments: [hostID])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["state"] as String, $0["n"] as Int) })
        }
    }

    /// A host's containers by health ("healthy", "unhealthy", "starting"), those with a healthcheck only.
    public func containerHealthCounts(hostID: Int64) throws -> [String: Int] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT health, count(*) AS n FROM container_snapshot WHERE host_id = ? AND health IS NOT NULL GROUP BY health
                """, arguments: [hostID])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["health"] as String, $0["n"] as Int) })
        }
    }

    /// Per host: containers by state, and the summed CPU and memory of the latest samples (the overview).
    public func hostUsage() throws -> [Int64: HostUsage] {
        try pool.read { db in
            var usage: [Int64: HostUsage] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT host_id, state, count(*) AS n FROM container_snapshot GROUP BY host_id, state") {
                usage[row["host_id"], default: HostUsage()].states[row["state"]] = row["n"]
            }
            for row in try Row.fetchAll(db, sql: "SELECT host_id, sum(cpu_percent) AS cpu, sum(memory_used) AS memory FROM container_stats GROUP BY host_id") {
                usage[row["host_id"], default: HostUsage()].cpuPercent = row["cpu"]
                usage[row["host_id"], default: HostUsage()].memoryUsed = row["memory"]
            }
            return usage
        }
    }
}

/// A host's containers by state and its summed resource use.
public struct HostUsage: Sendable, Equatable {
    public var states: [String: Int] = [:]
    public var cpuPercent: Double?
    public var memoryUsed: Int64?
    public init() {}
}
