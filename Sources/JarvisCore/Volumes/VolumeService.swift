import DockerEngine
import Foundation
import JarvisStore

/// A container that mounts a volume.
public struct VolumeUser: Encodable, Sendable, Equatable {
    public let id: String
    public let name: String
    public let state: String
    public let running: Bool
    /// Where the container mounts it, and whether it may write.
    public let destination: String?
    public let readOnly: Bool
}

/// A volume as the console shows it.
public struct VolumeView: Encodable, Sendable {
    public let name: String
    public let driver: String
    public let scope: String?
    public let mountpoint: String?
    public let labels: [String: String]
    /// Driver options, passwords masked.
    public let options: [String: String]
    public let created: String?
    /// Bytes from the last disk-usage report; nil when unknown (not reported yet, or the driver cannot tell).
    public let size: Int64?
    public let usedBy: [VolumeUser]
    /// No container uses it: a prune removes it.
    public let dangling: Bool
    /// The Compose project (`com.docker.compose.project`) it belongs to.
    public let stack: String?
}

/// Filters, sort and page of the volume list.
public struct VolumeQuery: Sendable {
    public enum Sort: String, CaseIterable, Sendable { case name, driver, created, size, stack, users }
    public var text: String?
    public var driver: String?
    public var dangling: Bool?
    public var labels: [(key: String, value: String?)] = []
    public var stack: String?
    public var sort: Sort = .name
    public var descending = false
    public var page = 1
    public var pageSize = 50

    public init() {}

    /// Filters, sorts and pages the views (pure, so the rules are tested without an engine).
    public func apply(_ views: [VolumeView]) -> Page<VolumeView> {
        var items = views
        if let needle = text?.lowercased(), !needle.isEmpty {
            items = items.filter { view in
                view.name.lowercased().contains(needle) || (view.stack?.lowercased().contains(needle) ?? false)
                    || view.usedBy.contains { $0.name.lowercased().contains(needle) }
            }
        }
        if let driver, !driver.isEmpty { items = items.filter { $0.driver == driver } }
        if let dangling { items = items.filter { $0.dangling == dangling } }
        if let stack, !stack.isEmpty { items = items.filter { $0.stack == stack } }
        for label in labels {
            items = items.filter { view in view.labels[label.key].map { value in label.value.map { $0 == value } ?? true } ?? false }
        }
        let ordered: (VolumeView, VolumeView) -> Bool
        switch sort {
        case .name: ordered = { $0.name < $1.name }
        case .driver: ordered = { ($0.driver, $0.name) < ($1.driver, $1.name) }
        case .created: ordered = { ($0.created ?? "", $0.name) < ($1.created ?? "", $1.name) }
        case .size: ordered = { ($0.size ?? -1, $0.name) < ($1.size ?? -1, $1.name) }
        case .stack: ordered = { ($0.stack ?? "\u{10FFFF}", $0.name) < ($1.stack ?? "\u{10FFFF}", $1.name) }
        case .users: ordered = { ($0.usedBy.count, $0.name) < ($1.usedBy.count, $1.name) }
        }
        items.sort { descending ? ordered($1, $0) : ordered($0, $1) }
        let start = min((page - 1) * pageSize, items.count)
        return Page(items: Array(items[start..<min(start + pageSize, items.count)]), total: items.count, page: page, pageSize: pageSize,
                    source: "engine")
    }
}

/// What a clean-up removed.
public struct PruneResult: Encodable, Sendable {
    public let kind: String
    public let deleted: [String]
    public let spaceReclaimed: Int64
}

/// Volumes of one host: list with users and sizes, inspect, create, remove, prune; and the
/// clean-up of each disk-use kind.
public final class VolumeService: Sendable {
    let docker: DockerClient
    let database: AppDatabase
    let hostID: Int64

    public init(docker: DockerClient, database: AppDatabase, hostID: Int64) {
        self.docker = docker
        self.database = database
        self.hostID = hostID
    }

    public func list(_ query: VolumeQuery) async throws -> Page<VolumeView> {
        let (volumes, containers) = try await withEngineErrors {
            async let volumes = docker.volumeList()
            async let containers = docker.containerMounts()
            return (try await volumes, try await containers)
        }
        let sizes = DiskUsageSummary.volumeSizes(try database.diskUsage(hostID: hostID))
        let users = Self.users(containers)
        return query.apply(volumes.map { Self.view($0, users: users[$0.name] ?? [], size: sizes[$0.name]) })
    }

    /// One volume with its users, or 404.
    public func details(_ name: String) async throws -> VolumeView {
        let (volume, containers) = try await withEngineErrors {
            async let volume = docker.volume(try Self.checkedName(name))
            async let containers = docker.containerMounts()
            return (try await volume, try await containers)
        }
        let sizes = DiskUsageSummary.volumeSizes(try database.diskUsage(hostID: hostID))
        return Self.view(volume, users: Self.users(containers)[volume.name] ?? [], size: sizes[volume.name])
    }

    public func create(_ spec: VolumeSpec) async throws -> VolumeView {
        if (try? await docker.volume(spec.name)) != nil {
            throw JarvisError(409, "volume_exists", "name: a volume \(spec.name) exists already").field("name")
        }
        _ = try await withEngineErrors { try await docker.createVolume(body: spec.body) }
        return try await details(spec.name)
    }

    /// Removes an unused volume; while containers use it the answer is 409 naming them.
    /// There is no force: the engine's own force only skips missing-volume errors.
    public func remove(_ volume: VolumeView) async throws {
        guard volume.usedBy.isEmpty else { throw Self.inUse(volume) }
        do {
            try await docker.removeVolume(volume.name)
        } catch let error as EngineError where error.code == .conflict {
            // A container took it between our look and the removal.
            throw Self.inUse(try await details(volume.name), engine: error.message)
        } catch let error as EngineError {
            throw JarvisError.from(error)
        }
        try? database.requestDiskUsage(hostID: hostID, at: Int64(Date().timeIntervalSince1970))
    }

    static func inUse(_ volume: VolumeView, engine: String? = nil) -> JarvisError {
        let names = volume.usedBy.map { "\($0.name) (\($0.running ? "running" : $0.state))" }
        return JarvisError(409, "volume_in_use", "volume \(volume.name) is used by "
                           + (names.isEmpty ? (engine ?? "a container") : names.joined(separator: ", "))
                           + "; remove those containers first (volumes have no force)")
    }

    /// What a clean-up of `kind` would remove now (ids or names) and their size from the last report.
    public func pruneCandidates(_ kind: String) async throws -> (targets: [String], size: Int64, summary: String) {
        let report = DiskUsageSummary.report(try database.diskUsage(hostID: hostID))
        switch kind {
        case "volumes":
            let unused = try await list(VolumeQuery.unused).items
            let size = unused.reduce(Int64(0)) { $0 + max(0, $1.size ?? 0) }
            return (unused.map(\.name), size, "remove \(unused.count) unused volume(s)" + Self.listed(unused.map(\.name)) + " and all their data")
        case "containers":
            let stopped = try await withEngineErrors { try await docker.containerMounts() }
                .filter { !["running", "paused", "restarting"].contains($0.state) }
            let sizes = Dictionary((report?.containers ?? []).map { ($0.id, max(0, $0.sizeRw ?? 0)) }, uniquingKeysWith: { a, _ in a })
            return (stopped.map(\.id), stopped.reduce(0) { $0 + (sizes[$1.id] ?? 0) },
                    "remove \(stopped.count) stopped container(s)" + Self.listed(stopped.map(\.name)))
        case "images":
            let dangling = try await withEngineErrors { try await docker.images() }.filter { ($0.repoTags ?? []).allSatisfy { $0 == "<none>:<none>" } }
            let used = Set(try await withEngineErrors { try await docker.containers(ListContainersOptions(all: true)) }.compactMap(\.imageID))
            let unused = dangling.filter { !used.contains($0.id) }
            return (unused.map(\.id), unused.reduce(0) { $0 + max(0, $1.size) },
                    "remove \(unused.count) dangling image(s) not used by any container")
        case "build-cache":
            let idle = (report?.buildCache ?? []).filter { !($0.inUse ?? false) }
            return (["build-cache"], idle.reduce(0) { $0 + max(0, $1.size ?? 0) },
                    "remove \(idle.count) unused build cache record(s) (as of the last disk-use report)")
        default:
            throw JarvisError.invalidField("kind", "must be one of \(DiskUsageSummary.kinds.joined(separator: ", "))")
        }
    }

    /// Runs the clean-up of `kind`; the engine's own report of what went and how much it freed.
    public func prune(_ kind: String) async throws -> PruneResult {
        let report: PruneReport = try await withEngineErrors {
            switch kind {
            case "volumes": return try await docker.pruneVolumes()
            case "containers": return try await docker.pruneContainers()
            case "build-cache": return try await docker.pruneBuildCache()
            case "images":
                let images = try await docker.pruneDanglingImages()
                return PruneReport(deleted: (images.imagesDeleted ?? []).compactMap(\.deleted), spaceReclaimed: images.spaceReclaimed)
            default: throw JarvisError.invalidField("kind", "must be one of \(DiskUsageSummary.kinds.joined(separator: ", "))")
            }
        }
        try? database.requestDiskUsage(hostID: hostID, at: Int64(Date().timeIntervalSince1970))
        return PruneResult(kind: kind, deleted: report.deleted, spaceReclaimed: report.spaceReclaimed)
    }

    /// The disk-use card: the last report, never a df of its own.
    public func diskUsage() throws -> DiskUsageSummary { DiskUsageSummary(row: try database.diskUsage(hostID: hostID)) }

    /// Asks jarvis-sse for a fresh report.
    public func requestDiskUsage() throws { try database.requestDiskUsage(hostID: hostID, at: Int64(Date().timeIntervalSince1970)) }

    static func listed(_ names: [String]) -> String {
        names.isEmpty ? "" : ": " + names.prefix(10).joined(separator: ", ") + (names.count > 10 ? " and \(names.count - 10) more" : "")
    }

    static func checkedName(_ name: String) throws -> String {
        guard VolumeSpec.validName(name) || name.count == 64 else { throw JarvisError.notFound("no volume \(name.prefix(80))") }
        return name
    }

    static func users(_ containers: [ContainerMounts]) -> [String: [VolumeUser]] {
        var users: [String: [VolumeUser]] = [:]
        for container in containers {
            for mount in container.mounts where mount.type == "volume" {
                guard let name = mount.name else { continue }
                users[name, default: []].append(VolumeUser(id: container.id, name: container.name, state: container.state,
                                                           running: container.state == "running", destination: mount.destination,
                                                           readOnly: !(mount.rw ?? true)))
            }
        }
        return users.mapValues { $0.sorted { $0.name < $1.name } }
    }

    static func view(_ volume: VolumeInspect, users: [VolumeUser], size: Int64?) -> VolumeView {
        let labels = volume.labels ?? [:]
        return VolumeView(name: volume.name, driver: volume.driver, scope: volume.scope, mountpoint: volume.mountpoint, labels: labels,
                          options: VolumeSpec.masked(volume.options ?? [:]), created: volume.createdAt, size: size,
                          usedBy: users.filter { !VolumeBrowser.isHelper($0.name) }, dangling: users.isEmpty,
                          stack: labels["com.docker.compose.project"])
    }
}

extension VolumeQuery {
    static var unused: VolumeQuery {
        var query = VolumeQuery()
        query.dangling = true
        query.pageSize = 100_000
        return query
    }
}
