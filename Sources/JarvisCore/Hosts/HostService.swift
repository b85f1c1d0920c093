import DockerEngine
import Foundation
import JarvisStore

/// A host as the API shows it: settings, health, what the engine reported, and
/// the public facts of its credentials (never the credentials themselves).
public struct HostView: Encodable, Sendable {
    public let id: Int64
    public let name: String
    public let displayName: String
    public let endpoint: String
    public let transport: String
    public let labels: [String: String]
    public let group: String
    public let readOnly: Bool
    public let terminalEnabled: Bool
    public let `default`: Bool
    public let archived: Bool
    public let state: String
    public let stateChangedAt: String?
    public let lastSeen: String?
    public let lastError: String?
    public let latencyMs: Double?
    public let engine: JSONValue
    public let tls: JSONValue?
    public let ssh: JSONValue?
    public let certificateExpiresAt: String?
    public let certificateExpiring: Bool
    public let plainTcp: Bool
    public let containers: Counts
    public let cpuPercent: Double?
    public let memoryUsed: Int64?

    public struct Counts: Encodable, Sendable {
        public let running: Int
        public let stopped: Int
        public let paused: Int
        public let total: Int

        init(_ states: [String: Int]) {
            running = states["running", default: 0]
            paused = states["paused", default: 0]
            total = states.values.reduce(0, +)
            stopped = total - running - paused
        }
    }

    init(_ record: HostRecord, usage: HostUsage?, now: Date = Date()) {
        id = record.id
        name = record.name
        displayName = record.displayName
        endpoint = record.endpoint
        transport = record.transport
        labels = HostLabels.decode(record.labels)
        group = record.group
        readOnly = record.readOnly
        terminalEnabled = record.terminalEnabled
        `default` = record.isDefault
        archived = record.isArchived
        state = record.state
        stateChangedAt = record.stateChangedAt
        lastSeen = record.lastSeen
        lastError = record.lastError
        latencyMs = record.latencyMs.map { ($0 * 10).rounded() / 10 }
        engine = JSONValue.parse(record.engine) ?? .object([:])
        let facts = JSONValue.parse(record.credentialFacts)
        tls = facts?["tls"]
        ssh = facts?["ssh"]
        // The first of the CA's and the client certificate's expiry dates.
        let expiries = ["ca", "client"].compactMap { facts?["tls"]?[$0]?["not_after"]?.string }.sorted()
        certificateExpiresAt = expiries.first
        certificateExpiring = expiries.first.flatMap(Timestamp.date).map { $0.timeIntervalSince(now) < 30 * 86400 } ?? false
        plainTcp = record.transport == "tcp"
        containers = Counts(usage?.states ?? [:])
        cpuPercent = usage?.cpuPercent.map { ($0 * 100).rounded() / 100 }
        memoryUsed = usage?.memoryUsed
    }
}

/// One row of a host's state history.
public struct HostEventView: Encodable, Sendable {
    public let id: Int64
    public let host: String
    public let at: String
    public let state: String
    public let previous: String
    public let error: String?
    public let latencyMs: Double?

    public init(_ event: HostEventRecord) {
        id = event.id
        host = event.hostName
        at = event.at
        state = event.state
        previous = event.previous
        error = event.error
        latencyMs = event.latencyMs
    }
}

/// Hosts as the API manages them: list, add (after a probe), change, archive,
/// delete, check; and the overview across all of them.
public final class HostService: Sendable {
    let registry: HostRegistry
    let database: AppDatabase
    let config: JarvisConfig

    init(registry: HostRegistry) {
        self.registry = registry
        database = registry.database
        config = registry.config
    }

    public func list(includeArchived: Bool) throws -> [HostView] {
        let usage = try database.hostUsage()
        return try database.hosts(includeArchived: includeArchived).map { HostView($0, usage: usage[$0.id]) }
    }

    public func view(_ record: HostRecord) throws -> HostView { HostView(record, usage: try database.hostUsage()[record.id]) }

    public func history(_ record: HostRecord, limit: Int) throws -> [HostEventView] {
        try database.hostHistory(hostID: record.id, limit: limit).map(HostEventView.init)
    }

    /// Containers of every host from the mirrors, filtered, sorted and paged in SQL; each row names
    /// its host, and rows of a host that is offline (or no longer mirrored) are marked stale.
    public func containers(_ query: ContainerQuery) throws -> Page<ContainerView> {
        let hosts = try database.hosts()
        let byID = Dictionary(uniqueKeysWithValues: hosts.map { ($0.id, $0) })
        let now = ContainerService.now()
        let (rows, total) = try database.containerSnapshot(query.snapshot(hosts: hosts.map(\.id)))
        return Page(items: rows.map { row, stats in
            let host = byID[row.hostID]
            let live = host?.state != "offline" && (host?.mirrorSyncedAt).map { now - $0 < ContainerService.mirrorMaxAge } == true
            return ContainerSnapshot.view(row, stats: stats, stale: !live, host: host?.name)
        }, total: total, page: query.page, pageSize: query.pageSize, source: "mirror")
    }

    /// One health check now: pings the engine (connect 5 s, answer 30 s), reads its facts, stores the outcome.
    @discardableResult
    public func check(_ record: HostRecord) async -> (record: HostRecord, event: HostEventRecord?) {
        let result: HostCheckResult
        do {
            result = await HostHealth.check(try registry.client(for: record))
        } catch {
            result = HostCheckResult(online: false, latencyMs: nil, error: JarvisError.wrap(error).message, engine: nil)
        }
        let event = try? database.recordHostCheck(id: record.id, result)
        return ((try? database.host(id: record.id)) ?? record, event ?? nil)
    }
}

/// One host in the all-hosts overview (the dashboard).
public struct HostOverview: Encodable, Sendable {
    public let name: String
    public let displayName: String
    public let state: String
    public let lastSeen: String?
    public let latencyMs: Double?
    public let engine: Engine
    public let containers: HostView.Counts
    public let cpuPercent: Double?
    public let memoryUsed: Int64?
    public let memoryTotal: Int64?
    public let cpus: Int?

    public struct Engine: Encodable, Sendable {
        public let version: String?
        public let apiVersion: String?
    }

    init(_ view: HostView) {
        name = view.name
        displayName = view.displayName
        state = view.state
        lastSeen = view.lastSeen
        latencyMs = view.latencyMs
        engine = Engine(version: view.engine["version"]?.string, apiVersion: view.engine["api_version"]?.string)
        containers = view.containers
        cpuPercent = view.cpuPercent
        memoryUsed = view.memoryUsed
        if case let .number(bytes)? = view.engine["memory_bytes"] { memoryTotal = Int64(bytes) } else { memoryTotal = nil }
        if case let .number(count)? = view.engine["cpus"] { cpus = Int(count) } else { cpus = nil }
    }
}

extension HostService {
    /// Every unarchived host: state, round trip, versions, containers by state, CPU and memory.
    public func overview() throws -> [HostOverview] { try list(includeArchived: false).map(HostOverview.init) }
}
