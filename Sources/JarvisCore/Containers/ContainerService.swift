import DockerEngine
import Foundation
import JarvisStore

/// A container as the list shows it.
public struct ContainerView: Encodable, Sendable {
    public let id: String
    public let name: String
    public let image: String
    public let imageId: String?
    public let command: String?
    public let state: String
    public let status: String
    /// `healthy`, `unhealthy`, `starting`, or nil without a health check.
    public let health: String?
    public let ports: [PortView]
    public let created: Int64
    public let labels: [String: String]
    /// From the stats sampler; nil until two samples exist or when not running.
    public let cpuPercent: Double?
    public let memoryUsed: Int64?
    public let memoryLimit: Int64?
    /// Unix milliseconds of the sample.
    public let statsAt: Int64?
    /// The host's name, in lists that span hosts.
    public var host: String?
    /// True when the host is offline: the row is the last thing the mirror saw, at `observedAt`.
    public var stale: Bool?
    public var observedAt: String?
    /// The last update check's state (`update_available`, …), from the store; nil before a check.
    public var update: String?

    public struct PortView: Codable, Sendable, Equatable {
        public let ip: String?
        public let privatePort: Int
        public let publicPort: Int?
        public let type: String

        init(ip: String?, privatePort: Int, publicPort: Int?, type: String) {
            self.ip = ip
            self.privatePort = privatePort
            self.publicPort = publicPort
            self.type = type
        }

        /// The engine's binding under the API's own key names.
        init(_ binding: PortBinding) {
            self.init(ip: binding.ip, privatePort: binding.privatePort, publicPort: binding.publicPort, type: binding.type)
        }
    }
}

/// Filters, order and paging of the container list.
public struct ContainerQuery: Sendable {
    public var query: String?
    public var state: String?
    /// Only the containers of this image id.
    public var imageID: String?
    /// False lists running containers only, as `docker ps` does.
    public var all: Bool
    public var labels: [(key: String, value: String?)]
    public var sort: ContainerSnapshotQuery.Sort
    public var descending: Bool
    public var page: Int
    public var pageSize: Int

    public init(query: String? = nil, state: String? = nil, all: Bool = true, labels: [(key: String, value: String?)] = [],
                sort: ContainerSnapshotQuery.Sort = .name, descending: Bool = false, page: Int = 1, pageSize: Int = 50,
                imageID: String? = nil) {
        self.query = query
        self.state = state
        self.imageID = imageID
        self.all = all
        self.labels = labels
        self.sort = sort
        self.descending = descending
        self.page = page
        self.pageSize = pageSize
    }

    public static let states: Set<String> = ["created", "restarting", "running", "removing", "paused", "exited", "dead"]

    /// The same filters, order and page for the store's snapshot of these hosts.
    func snapshot(hosts: [Int64]) -> ContainerSnapshotQuery {
        var snapshot = ContainerSnapshotQuery()
        snapshot.hostIDs = hosts
        snapshot.text = query
        snapshot.state = state
        snapshot.imageID = imageID
        snapshot.runningOnly = !all
        snapshot.labels = labels
        snapshot.sort = sort
        snapshot.descending = descending
        snapshot.limit = pageSize
        snapshot.offset = (page - 1) * pageSize
        return snapshot
    }
}

/// Page of results with the total count before paging.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public let items: [Item]
    public let total: Int
    public let page: Int
    public let pageSize: Int
    /// Where the list came from: `mirror` (store kept by jarvis-sse) or `engine`.
    public let source: String?
    /// In lists that span hosts and ask each engine: the hosts that were offline or did not answer.
    public var skippedHosts: [String]?

    public init(items: [Item], total: Int, page: Int, pageSize: Int, source: String? = nil) {
        self.items = items
        self.total = total
        self.page = page
        self.pageSize = pageSize
        self.source = source
    }
}

/// Container operations. Lists come from the store's snapshot while jarvis-sse
/// keeps it current, from the engine otherwise; every action writes the
/// container's new state through to the snapshot so the next list shows it.
public final class ContainerService: Sendable {
    let docker: DockerClient
    let database: AppDatabase
    /// The engine this service acts on, as the store knew it when the request started.
    let host: HostRecord
    /// A snapshot older than this is not trusted (the mirror resyncs every 15 s).
    static let mirrorMaxAge: Int64 = 45_000_000_000

    public init(docker: DockerClient, database: AppDatabase, host: HostRecord) {
        self.docker = docker
        self.database = database
        self.host = host
    }

    /// True while jarvis-sse keeps the host's snapshot current.
    func mirrorIsFresh() throws -> Bool {
        guard let synced = try database.containerMirrorSyncedAt(hostID: host.id) else { return false }
        return Self.now() - synced < Self.mirrorMaxAge
    }

    /// The snapshot answers without the engine: while it is fresh, and (as last known) while the host is offline.
    func answerFromMirror() throws -> Bool {
        try host.state == "offline" || mirrorIsFresh()
    }

    /// Containers per state (the dashboard), without reading every row.
    /// Containers by state, and by health for those with a healthcheck: from the mirror, or one engine listing.
    public func counts() async throws -> (states: [String: Int], health: [String: Int]) {
        if try answerFromMirror() {
            return (try database.containerStateCounts(hostID: host.id), try database.containerHealthCounts(hostID: host.id))
        }
        let all = try await engine { try await docker.containers(ListContainersOptions(all: true)) }
        var states: [String: Int] = [:], health: [String: Int] = [:]
        for summary in all {
            states[summary.state, default: 0] += 1
            if let state = ContainerSnapshot.health(fromStatus: summary.status) { health[state, default: 0] += 1 }
        }
        return (states, health)
    }

    public func list(_ query: ContainerQuery) async throws -> Page<ContainerView> {
        if try answerFromMirror() {
            let (rows, total) = try database.containerSnapshot(query.snapshot(hosts: [host.id]))
            let stale = host.state == "offline"
            return Page(items: rows.map { ContainerSnapshot.view($0.0, stats: $0.1, stale: stale) }, total: total, page: query.page,
                        pageSize: query.pageSize, source: stale ? "last_known" : "mirror")
        }
        return try await listFromEngine(query)
    }

    /// Without jarvis-sse (shared host) the engine is asked every time; stats are used if any were sampled.
    func listFromEngine(_ query: ContainerQuery) async throws -> Page<ContainerView> {
        var filters: [String: [String]] = [:]
        if let state = query.state { filters["status"] = [state] }
        if !query.labels.isEmpty { filters["label"] = query.labels.map { label in label.value.map { "\(label.key)=\($0)" } ?? label.key } }
        let summaries = try await engine { try await docker.containers(ListContainersOptions(all: query.all, filters: filters)) }
        var rows = summaries.map { ContainerSnapshot.record($0, host: host.id, observedAt: 0) }
        if let needle = query.query?.lowercased(), !needle.isEmpty {
            rows = rows.filter { $0.name.lowercased().contains(needle) || $0.image.lowercased().contains(needle) || $0.id.hasPrefix(needle) }
        }
        let stats = try database.containerStats(hostID: host.id, ids: rows.map(\.id))
        var views = rows.map { ContainerSnapshot.view($0, stats: stats[$0.id]) }
        views.sort(by: ContainerSnapshot.ordering(query.sort, descending: query.descending))
        let start = min((query.page - 1) * query.pageSize, views.count)
        let slice = views[start..<min(start + query.pageSize, views.count)]
        return Page(items: Array(slice), total: views.count, page: query.page, pageSize: query.pageSize, source: "engine")
    }

    public func details(_ id: String, size: Bool = false) async throws -> ContainerDetails {
        try await engine { try await docker.container(id, size: size) }
    }

    /// Re-reads one container from the engine into the snapshot (or removes it when gone).
    public func refreshSnapshot(_ id: String) async {
        // On failure the mirror's next resync repairs the snapshot; the action itself succeeded.
        try? await ContainerSnapshot.refresh(id, host: host.id, docker: docker, database: database)
    }

    /// The actions of the list's buttons.
    public enum Action: String, Sendable, CaseIterable, Codable {
        case start, stop, restart, kill, pause, unpause
    }

    /// Runs an action and returns the container's details afterwards. Start, stop,
    /// pause and unpause of a container already in that state succeed.
    public func perform(_ action: Action, on id: String, timeout: Int? = nil, signal: String? = nil) async throws -> ContainerDetails {
        let target = try await details(id)
        try await engine {
            switch action {
            case .start: try await docker.startContainer(target.id)
            case .stop: try await docker.stopContainer(target.id, timeout: timeout)
            case .restart: try await docker.restartContainer(target.id, timeout: timeout)
            case .kill: try await docker.killContainer(target.id, signal: signal ?? "SIGKILL")
            case .pause: if !target.state.paused { try await docker.pauseContainer(target.id) }
            case .unpause: if target.state.paused { try await docker.unpauseContainer(target.id) }
            }
        }
        await refreshSnapshot(target.id)
        return try await details(target.id)
    }

    /// Removes a container. When another request removes it at the same time, one
    /// succeeds and the other gets a 404 (the engine's "already in progress" 409 is waited out).
    public func remove(_ id: String, force: Bool, volumes: Bool) async throws -> ContainerDetails {
        let target = try await details(id)
        do {
            try await docker.removeContainer(target.id, force: force, volumes: volumes)
        } catch let error as EngineError where error.code == .conflict && error.message.contains("already in progress") {
            for _ in 0..<50 {
                if (try? await docker.container(target.id)) == nil { break }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            await refreshSnapshot(target.id)
            throw JarvisError.notFound("container \(target.displayName) was removed by another request")
        } catch let error as EngineError where error.code == .notFound {
            await refreshSnapshot(target.id)
            throw JarvisError.notFound("container \(target.displayName) was removed by another request")
        } catch let error as EngineError where error.code == .conflict {
            throw JarvisError(409, "container_running", error.message + " (stop it first, or remove with force)")
        } catch let error as EngineError {
            throw JarvisError.from(error)
        }
        await refreshSnapshot(target.id)
        return target
    }

    /// Renames a container; the new name follows the engine's rules.
    public func rename(_ id: String, to name: String) async throws -> ContainerDetails {
        guard ContainerSpec.isValidName(name) else {
            throw JarvisError.invalidField("name", "must start with a letter or digit and contain only letters, digits, _ . -")
        }
        let target = try await details(id)
        do {
            try await docker.renameContainer(target.id, to: name)
        } catch let error as EngineError where error.code == .conflict {
            throw JarvisError(409, "name_taken", "name: the name \(name) is already used by another container").field("name")
        } catch let error as EngineError {
            throw JarvisError.from(error)
        }
        await refreshSnapshot(target.id)
        return try await details(target.id)
    }

    func engine<T>(_ body: () async throws -> T) async throws -> T { try await withEngineErrors(body) }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000_000) }
}

/// Conversions between engine summaries, snapshot rows and list views.
public enum ContainerSnapshot {
    public static func record(_ summary: ContainerSummary, host: Int64, observedAt: Int64) -> ContainerSnapshotRecord {
        let ports = summary.ports.map(ContainerView.PortView.init)
        return ContainerSnapshotRecord(hostID: host, id: summary.id, name: summary.name, image: summary.image, imageID: summary.imageID,
                                       command: summary.command, created: summary.created, state: summary.state,
                                       status: summary.status, health: health(fromStatus: summary.status),
                                       ports: json(ports), labels: json(summary.labels ?? [:]), observedAt: observedAt)
    }

    /// Re-reads one container into the store, or forgets it when the engine no longer has it.
    static func refresh(_ id: String, host: Int64, docker: DockerClient, database: AppDatabase) async throws {
        let observedAt = ContainerService.now()
        let found = try await docker.containers(ListContainersOptions(all: true, filters: ["id": [id]]))
        if let summary = found.first(where: { $0.id == id }) {
            try database.upsertContainerSnapshot(record(summary, host: host, observedAt: observedAt))
        } else {
            try database.deleteContainerSnapshot(hostID: host, id: id, observedAt: observedAt)
        }
    }

    /// A list row; a stale one (its host is offline) says when it was last observed and shows no live numbers.
    public static func view(_ row: ContainerSnapshotRecord, stats: ContainerStatsRecord?, stale: Bool = false, host: String? = nil) -> ContainerView {
        let running = row.state == "running" && !stale
        var view = ContainerView(id: row.id, name: row.name, image: row.image, imageId: row.imageID, command: row.command,
                             state: row.state, status: row.status, health: row.health,
                             ports: decode([ContainerView.PortView].self, row.ports) ?? [], created: row.created,
                             labels: decode([String: String].self, row.labels) ?? [:],
                             cpuPercent: running ? stats?.cpuPercent : nil, memoryUsed: running ? stats?.memoryUsed : nil,
                             memoryLimit: running ? stats?.memoryLimit : nil, statsAt: running ? stats?.sampledAt : nil)
        view.host = host
        if stale {
            view.stale = true
            view.observedAt = Timestamp.string(Date(timeIntervalSince1970: Double(row.observedAt) / 1_000_000_000))
        }
        return view
    }

    /// The engine puts health in the status text: `Up 2 minutes (healthy)`, `(health: starting)`.
    public static func health(fromStatus status: String) -> String? {
        if status.hasSuffix("(healthy)") { return "healthy" }
        if status.hasSuffix("(unhealthy)") { return "unhealthy" }
        if status.hasSuffix("(health: starting)") { return "starting" }
        return nil
    }

    static func ordering(_ sort: ContainerSnapshotQuery.Sort, descending: Bool) -> (ContainerView, ContainerView) -> Bool {
        func byName(_ a: ContainerView, _ b: ContainerView) -> Bool { a.name.utf8.lexicographicallyPrecedes(b.name.utf8) }
        func ordered<T: Comparable>(_ a: T?, _ b: T?, _ tie: Bool) -> Bool {
            switch (a, b) {
            case let (x?, y?): return x == y ? tie : (descending ? x > y : x < y)
            case (.some, .none): return true  // missing values last, as in the store's order
            case (.none, .some): return false
            case (.none, .none): return tie
            }
        }
        switch sort {
        case .name: return { descending ? byName($1, $0) : byName($0, $1) }
        case .created: return { ordered($0.created, $1.created, byName($0, $1)) }
        case .state: return { ordered($0.state, $1.state, byName($0, $1)) }
        case .cpu: return { ordered($0.cpuPercent, $1.cpuPercent, byName($0, $1)) }
        case .memory: return { ordered($0.memoryUsed, $1.memoryUsed, byName($0, $1)) }
        }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static func json<T: Encodable>(_ value: T) -> String { String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self) }
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? { try? JSONDecoder().decode(T.self, from: Data(text.utf8)) }
}
