import Foundation
import GRDB

/// One Docker engine Jarvis manages (`hosts`). `labels`, `engine` and
/// `credentialFacts` are JSON text; `sealedCredentials` is AES-GCM sealed PEM
/// material, never returned by the API.
public struct HostRecord: Sendable, Equatable {
    public static let localID: Int64 = 1

    public var id: Int64
    public var name: String
    public var displayName: String
    public var endpoint: String
    public var transport: String
    public var sealedCredentials: String?
    public var credentialFacts: String
    public var labels: String
    public var group: String
    public var readOnly: Bool
    public var terminalEnabled: Bool
    public var isDefault: Bool
    public var archivedAt: String?
    public var state: String
    public var stateChangedAt: String?
    public var lastSeen: String?
    public var lastError: String?
    public var latencyMs: Double?
    public var engine: String
    public var mirrorSyncedAt: Int64?
    public var createdBy: Int64?
    public var createdAt: String
    public var updatedAt: String

    public init(name: String, displayName: String, endpoint: String, transport: String, sealedCredentials: String? = nil,
                credentialFacts: String = "{}", labels: String = "{}", group: String = "", readOnly: Bool = false,
                terminalEnabled: Bool = true, createdBy: Int64? = nil) {
        id = 0
        self.name = name
        self.displayName = displayName
        self.endpoint = endpoint
        self.transport = transport
        self.sealedCredentials = sealedCredentials
        self.credentialFacts = credentialFacts
        self.labels = labels
        self.group = group
        self.readOnly = readOnly
        self.terminalEnabled = terminalEnabled
        isDefault = false
        state = "unknown"
        engine = "{}"
        self.createdBy = createdBy
        createdAt = Timestamp.string()
        updatedAt = createdAt
    }

    init(row: Row) {
        id = row["id"]
        name = row["name"]
        displayName = row["display_name"]
        endpoint = row["endpoint"]
        transport = row["transport"]
        sealedCredentials = row["sealed_credentials"]
        credentialFacts = row["credential_facts"]
        labels = row["labels"]
        group = row["group_name"]
        readOnly = row["read_only"]
        terminalEnabled = row["terminal_enabled"]
        isDefault = row["is_default"]
        archivedAt = row["archived_at"]
        state = row["state"]
        stateChangedAt = row["state_changed_at"]
        lastSeen = row["last_seen"]
        lastError = row["last_error"]
        latencyMs = row["latency_ms"]
        engine = row["engine"]
        mirrorSyncedAt = row["mirror_synced_at"]
        createdBy = row["created_by"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
    }

    public var isArchived: Bool { archivedAt != nil }
}

/// One state change of a host, for its history and the `host` events.
public struct HostEventRecord: Sendable, Equatable {
    public let id: Int64
    public let hostID: Int64
    public let hostName: String
    public let at: String
    public let state: String
    public let previous: String
    public let error: String?
    public let latencyMs: Double?

    init(id: Int64, hostID: Int64, hostName: String, at: String, state: String, previous: String, error: String?, latencyMs: Double?) {
        self.id = id
        self.hostID = hostID
        self.hostName = hostName
        self.at = at
        self.state = state
        self.previous = previous
        self.error = error
        self.latencyMs = latencyMs
    }

    /// A `host_events` row joined with its host's name.
    init(row: Row) {
        self.init(id: row["id"], hostID: row["host_id"], hostName: row["host_name"], at: row["at"], state: row["state"],
                  previous: row["previous"], error: row["error"], latencyMs: row["latency_ms"])
    }
}

/// What one health check saw.
public struct HostCheckResult: Sendable {
    public var online: Bool
    public var latencyMs: Double?
    public var error: String?
    /// The engine's facts as JSON text, when it answered.
    public var engine: String?

    public init(online: Bool, latencyMs: Double?, error: String?, engine: String?) {
        self.online = online
        self.latencyMs = latencyMs
        self.error = error
        self.engine = engine
    }
}

extension AppDatabase {
    public func hosts(includeArchived: Bool = false) throws -> [HostRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM hosts" + (includeArchived ? "" : " WHERE archived_at IS NULL") + " ORDER BY is_default DESC, name")
                .map(HostRecord.init(row:))
        }
    }

    public func host(name: String) throws -> HostRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM hosts WHERE name = ?", arguments: [name]).map(HostRecord.init(row:)) }
    }

    public func host(id: Int64) throws -> HostRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM hosts WHERE id = ?", arguments: [id]).map(HostRecord.init(row:)) }
    }

    public func defaultHost() throws -> HostRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM hosts WHERE is_default = 1 ORDER BY id LIMIT 1").map(HostRecord.init(row:))
        }
    }

    /// Inserts a new host; a taken name is a `DatabaseError` with the UNIQUE constraint.
    public func insertHost(_ host: HostRecord) throws -> HostRecord {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO hosts (name, display_name, endpoint, transport, sealed_credentials, credential_facts, labels, group_name,
                                   read_only, terminal_enabled, engine, state, created_by, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'unknown', ?, ?, ?)
                """, arguments: [host.name, host.displayName, host.endpoint, host.transport, host.sealedCredentials, host.credentialFacts,
                                 host.labels, host.group, host.readOnly, host.terminalEnabled, host.engine, host.createdBy,
                                 host.createdAt, host.updatedAt])
            let id = db.lastInsertedRowID
            return try Row.fetchOne(db, sql: "SELECT * FROM hosts WHERE id = ?", arguments: [id]).map(HostRecord.init(row:))!
        }
    }

    /// Stores the settings an admin may change (not the health columns, which the monitor owns).
    public func updateHostSettings(_ host: HostRecord) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE hosts SET display_name = ?, endpoint = ?, transport = ?, sealed_credentials = ?, credential_facts = ?, labels = ?,
                    group_name = ?, read_only = ?, terminal_enabled = ?, archived_at = ?, updated_at = ? WHERE id = ?
                """, arguments: [host.displayName, host.endpoint, host.transport, host.sealedCredentials, host.credentialFacts, host.labels,
                                 host.group, host.readOnly, host.terminalEnabled, host.archivedAt, Timestamp.string(), host.id])
        }
    }

    public func deleteHost(id: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM container_snapshot WHERE host_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM container_stats WHERE host_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM hosts WHERE id = ?", arguments: [id])
        }
    }

    /// Records one health check; a change of state also writes a `host_events` row.
    /// Returns the event when the state changed.
    @discardableResult
    public func recordHostCheck(id: Int64, _ check: HostCheckResult, at now: String = Timestamp.string()) throws -> HostEventRecord? {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT name, state FROM hosts WHERE id = ?", arguments: [id]) else { return nil }
            let previous: String = row["state"]
            let state = check.online ? "online" : "offline"
            if check.online {
                try db.execute(sql: """
                    UPDATE hosts SET state = 'online', last_seen = ?, last_error = NULL, latency_ms = ?, engine = coalesce(?, engine),
                        state_changed_at = CASE WHEN state = 'online' THEN state_changed_at ELSE ? END WHERE id = ?
                    """, arguments: [now, check.latencyMs, check.engine, now, id])
            } else {
                try db.execute(sql: """
                    UPDATE hosts SET state = 'offline', last_error = ?, latency_ms = NULL,
                        state_changed_at = CASE WHEN state = 'offline' THEN state_changed_at ELSE ? END WHERE id = ?
                    """, arguments: [check.error, now, id])
            }
            guard previous != state else { return nil }
            try db.execute(sql: "INSERT INTO host_events (host_id, at, state, previous, error, latency_ms) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, now, state, previous, check.error, check.latencyMs])
            return HostEventRecord(id: db.lastInsertedRowID, hostID: id, hostName: row["name"], at: now, state: state,
                                   previous: previous, error: check.error, latencyMs: check.latencyMs)
        }
    }

    /// State changes after `afterID`, oldest first (all hosts when `hostID` is nil).
    public func hostEvents(hostID: Int64? = nil, after afterID: Int64 = 0, limit: Int = 200) throws -> [HostEventRecord] {
        try pool.read { db in
            let filter = hostID == nil ? "" : " AND e.host_id = ?"
            var arguments: StatementArguments = [afterID]
            if let hostID { arguments += [hostID] }
            arguments += [limit]
            return try Row.fetchAll(db, sql: """
                SELECT e.*, h.name AS host_name FROM host_events e JOIN hosts h ON h.id = e.host_id
                WHERE e.id > ?\(filter) ORDER BY e.id LIMIT ?
                """, arguments: arguments).map(HostEventRecord.init(row:))
        }
    }

    /// The newest history rows of one host, newest first.
    public func hostHistory(hostID: Int64, limit: Int) throws -> [HostEventRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.*, h.name AS host_name FROM host_events e JOIN hosts h ON h.id = e.host_id
                WHERE e.host_id = ? ORDER BY e.id DESC LIMIT ?
                """, arguments: [hostID, limit]).map(HostEventRecord.init(row:))
        }
    }

    public func lastHostEventID() throws -> Int64 {
        try pool.read { try Int64.fetchOne($0, sql: "SELECT coalesce(max(id), 0) FROM host_events") ?? 0 }
    }

    /// The local host follows the config file: its endpoint is set at every start.
    public func setLocalEndpoint(_ endpoint: String, transport: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE hosts SET endpoint = ?, transport = ? WHERE id = ? AND (endpoint != ? OR transport != ?)",
                           arguments: [endpoint, transport, HostRecord.localID, endpoint, transport])
        }
    }

    /// Queued or running tasks of a host (what blocks its deletion).
    public func activeTasks(hostID: Int64) throws -> [(id: String, title: String, state: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, title, state FROM tasks WHERE host_id = ? AND state IN ('queued', 'running') ORDER BY created_at",
                             arguments: [hostID]).map { ($0["id"], $0["title"], $0["state"]) }
        }
    }
}

extension AppDatabase {
    /// Makes one host the one the unscoped routes act on.
    public func makeDefaultHost(id: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE hosts SET is_default = (id = ?)", arguments: [id])
        }
    }
}
