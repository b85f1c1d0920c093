import Foundation
import GRDB

/// The last update check of one container (`update_checks`).
public struct UpdateCheckRecord: Codable, Sendable, FetchableRecord, PersistableRecord, Equatable {
    public static let databaseTableName = "update_checks"
    public var hostID: Int64
    public var containerID: String
    public var containerName: String
    public var stack: String?
    public var service: String?
    public var image: String
    public var state: String
    public var currentDigest: String?
    public var availableDigest: String?
    public var availableTag: String?
    public var availableCreated: String?
    public var reason: String?
    public var checkedAt: String

    enum CodingKeys: String, CodingKey {
        case stack, service, image, state, reason
        case hostID = "host_id", containerID = "container_id", containerName = "container_name", currentDigest = "current_digest"
        case availableDigest = "available_digest", availableTag = "available_tag", availableCreated = "available_created"
        case checkedAt = "checked_at"
    }

    public init(hostID: Int64, containerID: String, containerName: String, stack: String?, service: String?, image: String,
                state: String, currentDigest: String?, availableDigest: String? = nil, availableTag: String? = nil,
                availableCreated: String? = nil, reason: String? = nil, checkedAt: String) {
        self.hostID = hostID; self.containerID = containerID; self.containerName = containerName; self.stack = stack
        self.service = service; self.image = image; self.state = state; self.currentDigest = currentDigest
        self.availableDigest = availableDigest; self.availableTag = availableTag; self.availableCreated = availableCreated
        self.reason = reason; self.checkedAt = checkedAt
    }
}

/// An update policy of a host default (`target` empty), a stack or a container name (`update_policies`).
public struct UpdatePolicyRecord: Codable, Sendable, FetchableRecord, PersistableRecord, Equatable {
    public static let databaseTableName = "update_policies"
    public var hostID: Int64
    public var scope: String
    public var target: String
    public var mode: String
    public var maintenanceWindow: String?
    public var cooldownHours: Int
    /// JSON of the tag policy (semver level, include, exclude, prereleases), nil when the tag is not watched.
    public var tagPolicy: String?
    public var updatedBy: Int64?
    public var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case scope, target, mode
        case hostID = "host_id", maintenanceWindow = "maintenance_window", cooldownHours = "cooldown_hours", tagPolicy = "tag_policy"
        case updatedBy = "updated_by", updatedAt = "updated_at"
    }

    public init(hostID: Int64, scope: String, target: String, mode: String, maintenanceWindow: String?, cooldownHours: Int,
                tagPolicy: String?, updatedBy: Int64?, updatedAt: String) {
        self.hostID = hostID; self.scope = scope; self.target = target; self.mode = mode; self.maintenanceWindow = maintenanceWindow
        self.cooldownHours = cooldownHours; self.tagPolicy = tagPolicy; self.updatedBy = updatedBy; self.updatedAt = updatedAt
    }
}

/// One update or rollback attempt (`update_history`).
public struct UpdateHistoryRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord, Equatable {
    public static let databaseTableName = "update_history"
    public var id: Int64?
    public var hostID: Int64
    public var taskID: String?
    public var kind: String
    public var containerName: String
    public var stack: String?
    public var service: String?
    public var fromImage: String?
    public var toImage: String?
    public var fromDigest: String?
    public var toDigest: String?
    public var fromImageID: String?
    public var toImageID: String?
    /// The tag that keeps the previous image from a prune, for a later rollback.
    public var keptImage: String?
    public var result: String
    public var reason: String?
    public var logs: String?
    public var byUser: String?
    public var byPolicy: Bool
    public var startedAt: String
    public var finishedAt: String?
    public var durationMs: Int64?

    enum CodingKeys: String, CodingKey {
        case id, kind, stack, service, result, reason, logs
        case hostID = "host_id", taskID = "task_id", containerName = "container_name", fromImage = "from_image", toImage = "to_image"
        case fromDigest = "from_digest", toDigest = "to_digest", fromImageID = "from_image_id", toImageID = "to_image_id"
        case keptImage = "kept_image", byUser = "by_user", byPolicy = "by_policy", startedAt = "started_at"
        case finishedAt = "finished_at", durationMs = "duration_ms"
    }

    public init(hostID: Int64, taskID: String?, kind: String, containerName: String, stack: String?, service: String?,
                fromImage: String?, toImage: String?, byUser: String?, byPolicy: Bool, startedAt: String) {
        self.hostID = hostID; self.taskID = taskID; self.kind = kind; self.containerName = containerName; self.stack = stack
        self.service = service; self.fromImage = fromImage; self.toImage = toImage; self.byUser = byUser; self.byPolicy = byPolicy
        self.startedAt = startedAt; self.result = "running"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Filters of the update list.
public struct UpdateCheckFilter: Sendable {
    public var hostIDs: [Int64]?
    public var state: String?
    public var stack: String?
    public var containerName: String?
    public init(hostIDs: [Int64]? = nil, state: String? = nil, stack: String? = nil, containerName: String? = nil) {
        self.hostIDs = hostIDs; self.state = state; self.stack = stack; self.containerName = containerName
    }
}

extension AppDatabase {
    // MARK: checks

    /// Replaces a host's check results with one round's, for the containers checked (others keep theirs).
    public func saveUpdateChecks(_ records: [UpdateCheckRecord], hostID: Int64, liveContainerIDs: Set<String>) throws {
        try pool.write { db in
            for record in records { try record.save(db) }
            // Containers that are gone lose their row, so counts never include the removed.
            let stale = try String.fetchAll(db, sql: "SELECT container_id FROM update_checks WHERE host_id = ?", arguments: [hostID])
                .filter { !liveContainerIDs.contains($0) }
            for id in stale {
                try db.execute(sql: "DELETE FROM update_checks WHERE host_id = ? AND container_id = ?", arguments: [hostID, id])
            }
        }
    }

    public func updateChecks(_ filter: UpdateCheckFilter = .init()) throws -> [UpdateCheckRecord] {
        try pool.read { db in
            var request = UpdateCheckRecord.all()
            if let ids = filter.hostIDs { request = request.filter(ids.contains(Column("host_id"))) }
            if let state = filter.state { request = request.filter(Column("state") == state) }
            if let stack = filter.stack { request = request.filter(Column("stack") == stack) }
            if let name = filter.containerName { request = request.filter(Column("container_name") == name) }
            return try request.order(Column("host_id"), Column("stack"), Column("container_name")).fetchAll(db)
        }
    }

    public func updateCheck(hostID: Int64, containerID: String) throws -> UpdateCheckRecord? {
        try pool.read { db in
            try UpdateCheckRecord.filter(Column("host_id") == hostID && Column("container_id") == containerID).fetchOne(db)
        }
    }

    /// A container replaced by an update keeps its check row under its new id.
    public func moveUpdateCheck(hostID: Int64, from oldID: String, to newID: String, state: String? = nil) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM update_checks WHERE host_id = ? AND container_id = ?", arguments: [hostID, newID])
            try db.execute(sql: """
                UPDATE update_checks SET container_id = ?, state = COALESCE(?, state),
                    available_digest = CASE WHEN ? IS NULL THEN available_digest ELSE NULL END,
                    available_tag = CASE WHEN ? IS NULL THEN available_tag ELSE NULL END
                WHERE host_id = ? AND container_id = ?
                """, arguments: [newID, state, state, state, hostID, oldID])
        }
    }

    public func setUpdateCheckState(hostID: Int64, containerID: String, state: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE update_checks SET state = ?, available_digest = NULL, available_tag = NULL WHERE host_id = ? AND container_id = ?",
                           arguments: [state, hostID, containerID])
        }
    }

    // MARK: policies

    public func saveUpdatePolicy(_ record: UpdatePolicyRecord) throws {
        try pool.write { db in try record.save(db) }
    }

    public func deleteUpdatePolicy(hostID: Int64, scope: String, target: String) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM update_policies WHERE host_id = ? AND scope = ? AND target = ?", arguments: [hostID, scope, target])
        }
    }

    public func updatePolicies(hostID: Int64? = nil) throws -> [UpdatePolicyRecord] {
        try pool.read { db in
            var request = UpdatePolicyRecord.all()
            if let hostID { request = request.filter(Column("host_id") == hostID) }
            return try request.order(Column("host_id"), Column("scope"), Column("target")).fetchAll(db)
        }
    }

    // MARK: history

    public func insertUpdateHistory(_ record: UpdateHistoryRecord) throws -> UpdateHistoryRecord {
        var record = record
        try pool.write { db in try record.insert(db) }
        return record
    }

    public func saveUpdateHistory(_ record: UpdateHistoryRecord) throws {
        try pool.write { db in try record.update(db) }
    }

    public func updateHistory(id: Int64) throws -> UpdateHistoryRecord? {
        try pool.read { db in try UpdateHistoryRecord.fetchOne(db, key: id) }
    }

    /// Newest first; `containerName`/`stack` narrow to one target.
    public func updateHistory(hostIDs: [Int64]?, containerName: String? = nil, stack: String? = nil, limit: Int, offset: Int = 0)
        throws -> (items: [UpdateHistoryRecord], total: Int) {
        try pool.read { db in
            var request = UpdateHistoryRecord.all()
            if let hostIDs { request = request.filter(hostIDs.contains(Column("host_id"))) }
            if let containerName { request = request.filter(Column("container_name") == containerName) }
            if let stack { request = request.filter(Column("stack") == stack) }
            let total = try request.fetchCount(db)
            return (try request.order(Column("id").desc).limit(limit, offset: offset).fetchAll(db), total)
        }
    }

    // MARK: registry limits

    public func saveRegistryLimit(registry: String, remaining: Int?, windowSeconds: Int?, backoffUntil: String?, at: String) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO registry_limits (registry, remaining, window_seconds, backoff_until, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(registry) DO UPDATE SET remaining = excluded.remaining, window_seconds = excluded.window_seconds,
                    backoff_until = excluded.backoff_until, updated_at = excluded.updated_at
                """, arguments: [registry, remaining, windowSeconds, backoffUntil, at])
        }
    }

    public func registryLimits() throws -> [(registry: String, remaining: Int?, windowSeconds: Int?, backoffUntil: String?, updatedAt: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM registry_limits ORDER BY registry").map {
                ($0["registry"], $0["remaining"], $0["window_seconds"], $0["backoff_until"], $0["updated_at"])
            }
        }
    }
}
