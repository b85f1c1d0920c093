import DockerEngine
import Foundation
import JarvisStore

/// A container's update state as lists, badges and container details show it.
public struct UpdateView: Encodable, Sendable {
    public let host: String
    public let containerId: String
    public let container: String
    public let stack: String?
    public let service: String?
    public let image: String
    public let state: String
    public let currentDigest: String?
    public let availableDigest: String?
    public let availableTag: String?
    public let availableCreated: String?
    public let reason: String?
    public let checkedAt: String
    public let policy: String?
}

/// One update or rollback attempt as the history shows it.
public struct UpdateHistoryView: Encodable, Sendable {
    public let id: Int64
    public let host: String
    public let taskId: String?
    public let kind: String
    public let container: String
    public let stack: String?
    public let service: String?
    public let fromImage: String?
    public let toImage: String?
    public let fromDigest: String?
    public let toDigest: String?
    public let keptImage: String?
    public let result: String
    public let reason: String?
    public let logs: String?
    public let by: String?
    public let byPolicy: Bool
    public let startedAt: String
    public let finishedAt: String?
    public let durationMs: Int64?
}

/// A policy as the API shows it.
public struct UpdatePolicyView: Encodable, Sendable {
    public let host: String
    public let scope: String
    public let target: String
    public let mode: String
    public let maintenanceWindow: String?
    public let cooldownHours: Int
    public let semver: String?
    public let include: String?
    public let exclude: String?
    public let prereleases: Bool
    public let updatedAt: String?
    /// For an effective policy: where it came from (`container`, `label`, `stack`, `host`, `default`).
    public let source: String?
}

public struct UpdateRequest: Decodable, Sendable {
    /// A newer tag to move to (the same repository); nil re-pulls the tag the container runs.
    public var tag: String?
    public var healthTimeout: Int?
    public var settleSeconds: Int?
    public init(tag: String? = nil, healthTimeout: Int? = nil, settleSeconds: Int? = nil) {
        self.tag = tag; self.healthTimeout = healthTimeout; self.settleSeconds = settleSeconds
    }
}

public struct RollbackRequest: Decodable, Sendable {
    /// The update to undo; nil takes the newest one of this container that kept its previous image.
    public var historyId: Int64?
    public init(historyId: Int64? = nil) { self.historyId = historyId }
}

public struct CheckRequest: Codable, Sendable {
    public init(host: String? = nil, container: String? = nil, stack: String? = nil) { self.host = host; self.container = container; self.stack = stack }
    public var host: String?
    public var container: String?
    public var stack: String?
}

/// Update checks, policies, history, and the update and rollback tasks, for the API and jarvis-sse.
public final class UpdateService: Sendable {
    let database: AppDatabase
    let hosts: HostRegistry
    let tasks: TaskService
    let config: JarvisConfig

    init(database: AppDatabase, hosts: HostRegistry, tasks: TaskService, config: JarvisConfig) {
        self.database = database
        self.hosts = hosts
        self.tasks = tasks
        self.config = config
    }

    // MARK: reads

    public func list(hostName: String?, state: String?, stack: String?, page: Int, pageSize: Int) throws -> Page<UpdateView> {
        if let state, UpdateState(rawValue: state) == nil {
            throw JarvisError.invalidField("state", "must be one of \(UpdateState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let names = try hostNames()
        let hostIDs = try hostName.map { [try hosts.record(named: $0).id] }
        let rows = try database.updateChecks(UpdateCheckFilter(hostIDs: hostIDs, state: state, stack: stack))
        let start = min((page - 1) * pageSize, rows.count)
        var policies: [Int64: UpdatePolicies] = [:]
        let items = try rows[start..<min(start + pageSize, rows.count)].map { row in
            if policies[row.hostID] == nil { policies[row.hostID] = UpdatePolicies(database: database, hostID: row.hostID, preload: true) }
            return try view(row, hostName: names[row.hostID] ?? "?", policies: policies[row.hostID]!)
        }
        return Page(items: items, total: rows.count, page: page, pageSize: pageSize)
    }

    /// A container list with each row's update state (one store read for the page, never a registry).
    public func withUpdateStates(_ page: Page<ContainerView>, hostID: Int64?) throws -> Page<ContainerView> {
        let rows = try database.updateChecks(UpdateCheckFilter(hostIDs: hostID.map { [$0] }))
        guard !rows.isEmpty else { return page }
        let names = try hostNames()
        var states: [String: String] = [:]
        for row in rows { states[(names[row.hostID] ?? "") + "/" + row.containerID] = row.state }
        let local = try hostID.flatMap { try database.host(id: $0)?.name }
        var annotated = Page(items: page.items.map { item in
            var item = item
            item.update = states[(item.host ?? local ?? "") + "/" + item.id]
            return item
        }, total: page.total, page: page.page, pageSize: page.pageSize, source: page.source)
        annotated.skippedHosts = page.skippedHosts
        return annotated
    }

    /// The `update` block of container details; nil before the first check.
    public func state(host: HostServices, containerID: String) throws -> UpdateView? {
        try database.updateCheck(hostID: host.record.id, containerID: containerID).map {
            try view($0, hostName: host.name, policies: UpdatePolicies(database: database, hostID: host.record.id))
        }
    }

    public func history(hostName: String?, container: String?, stack: String?, page: Int, pageSize: Int) throws -> Page<UpdateHistoryView> {
        let names = try hostNames()
        let hostIDs = try hostName.map { [try hosts.record(named: $0).id] }
        let found = try database.updateHistory(hostIDs: hostIDs, containerName: container, stack: stack, limit: pageSize,
                                               offset: (page - 1) * pageSize)
        return Page(items: found.items.map { Self.view($0, hostName: names[$0.hostID] ?? "?") }, total: found.total, page: page,
                    pageSize: pageSize)
    }

    private func hostNames() throws -> [Int64: String] {
        Dictionary(uniqueKeysWithValues: try database.hosts().map { ($0.id, $0.name) })
    }

    private func view(_ row: UpdateCheckRecord, hostName: String, policies: UpdatePolicies) throws -> UpdateView {
        let policy = try policies.effective(container: row.containerName, stack: row.stack, labels: [:])
        return UpdateView(host: hostName, containerId: row.containerID, container: row.containerName, stack: row.stack, service: row.service,
                          image: row.image, state: row.state, currentDigest: row.currentDigest, availableDigest: row.availableDigest,
                          availableTag: row.availableTag, availableCreated: row.availableCreated, reason: row.reason,
                          checkedAt: row.checkedAt, policy: policy.mode.rawValue)
    }

    static func view(_ row: UpdateHistoryRecord, hostName: String) -> UpdateHistoryView {
        UpdateHistoryView(id: row.id ?? 0, host: hostName, taskId: row.taskID, kind: row.kind, container: row.containerName, stack: row.stack,
                          service: row.service, fromImage: row.fromImage, toImage: row.toImage, fromDigest: row.fromDigest,
                          toDigest: row.toDigest, keptImage: row.keptImage, result: row.result, reason: row.reason, logs: row.logs,
                          by: row.byUser, byPolicy: row.byPolicy, startedAt: row.startedAt, finishedAt: row.finishedAt,
                          durationMs: row.durationMs)
    }

    // MARK: tasks

    /// Queues a check of a host, one container or one stack.
    public func check(_ request: CheckRequest, by principal: Principal) throws -> TaskRecord {
        let host = try hosts.services(named: request.host)
        try host.requireOnline()
        let scope = request.stack.map { "stack \($0)" } ?? request.container.map { "container \($0)" } ?? "all containers"
        return try tasks.enqueue(kind: TaskKind.updatesCheck, title: "Check for updates: \(scope) on \(host.name)",
                                 target: "updates:\(host.record.id)", params: request, by: principal, host: host.record.id)
    }

    /// Queues an update of one container (to its tag's new image, or to a newer tag).
    public func update(_ containerID: String, _ request: UpdateRequest, host: HostServices, by principal: Principal,
                       byPolicy: Bool = false) async throws -> TaskRecord {
        try host.requireOnline()
        let details = try await host.containers.details(containerID)
        var image: String?
        if let tag = request.tag, !tag.isEmpty {
            guard let current = ImageReference(details.config.image ?? ""), let moved = ImageReference(current.repository, tag: tag),
                  !moved.tag.hasPrefix("sha256:") else {
                throw JarvisError.invalidField("tag", "not a tag of \(details.config.image ?? "this image"): \(tag.prefix(80))")
            }
            image = moved.description
        } else {
            guard let reference = UpdateChecker.reference(details.config.image ?? "") else {
                throw JarvisError(409, "not_updatable", "\(details.displayName) runs an image id, not a name and tag: there is nothing to update it to")
            }
            if reference.tag.hasPrefix("sha256:") {
                throw JarvisError(409, "pinned", "\(details.displayName) runs a digest (\(reference.description)): it is pinned; name a tag to move to")
            }
        }
        let timeout = request.healthTimeout ?? config.updateHealthTimeout
        let settle = request.settleSeconds ?? config.updateSettleSeconds
        guard (1...3600).contains(timeout) else { throw JarvisError.invalidField("health_timeout", "must be 1...3600 seconds") }
        guard (1...3600).contains(settle) else { throw JarvisError.invalidField("settle_seconds", "must be 1...3600 seconds") }
        let params = ContainerUpdateParams(container: details.displayName, image: image, historyId: nil, healthTimeout: timeout,
                                           settleSeconds: settle, byPolicy: byPolicy)
        return try tasks.enqueue(kind: TaskKind.containerUpdate, title: "Update \(details.displayName) to \(image ?? details.config.image ?? "")",
                                 target: "container:\(details.displayName)", params: params, by: principal, host: host.record.id)
    }

    /// Queues a rollback of one container to the image an earlier update replaced.
    public func rollback(_ containerID: String, _ request: RollbackRequest, host: HostServices, by principal: Principal) async throws -> TaskRecord {
        try host.requireOnline()
        let details = try await host.containers.details(containerID)
        let row: UpdateHistoryRecord
        if let id = request.historyId {
            guard let found = try database.updateHistory(id: id), found.hostID == host.record.id, found.containerName == details.displayName else {
                throw JarvisError.invalidField("history_id", "no update \(id) of \(details.displayName) on \(host.name)")
            }
            row = found
        } else {
            let rows = try database.updateHistory(hostIDs: [host.record.id], containerName: details.displayName, limit: 50).items
            guard let found = rows.first(where: { $0.kind == "update" && $0.result == "updated" && $0.keptImage != nil }) else {
                throw JarvisError(409, "nothing_to_roll_back", "\(details.displayName) has no recorded update whose previous image was kept")
            }
            row = found
        }
        guard let kept = row.keptImage else { throw JarvisError(409, "nothing_to_roll_back", "update \(row.id ?? 0) kept no previous image") }
        do {
            _ = try await host.docker.image(kept)
        } catch {
            throw JarvisError(409, "image_gone", "the previous image \(kept) is no longer on \(host.name)")
        }
        let params = ContainerUpdateParams(container: details.displayName, image: nil, historyId: row.id, healthTimeout: config.updateHealthTimeout,
                                           settleSeconds: config.updateSettleSeconds, byPolicy: false)
        return try tasks.enqueue(kind: TaskKind.containerRollback, title: "Rollback of \(details.displayName) to \(row.fromImage ?? kept)",
                                 target: "container:\(details.displayName)", params: params, by: principal, host: host.record.id)
    }

    /// The containers of a host with an update available, for "update all".
    public func available(host: HostServices) throws -> [UpdateCheckRecord] {
        try database.updateChecks(UpdateCheckFilter(hostIDs: [host.record.id], state: UpdateState.updateAvailable.rawValue))
    }

    // MARK: policies

    public func policy(host: HostServices, scope: String, target: String, labels: [String: String] = [:], stack: String? = nil) throws -> UpdatePolicyView {
        let policies = UpdatePolicies(database: database, hostID: host.record.id)
        let effective: EffectiveUpdatePolicy
        switch scope {
        case "container": effective = try policies.effective(container: target, stack: stack, labels: labels)
        case "stack": effective = try policies.effective(container: "\u{0}", stack: target, labels: [:])
        default: effective = try policies.effective(container: "\u{0}", stack: nil, labels: [:])
        }
        return UpdatePolicyView(host: host.name, scope: scope, target: target, mode: effective.mode.rawValue,
                                maintenanceWindow: effective.maintenanceWindow, cooldownHours: effective.cooldownHours,
                                semver: effective.tagPolicy?.level.rawValue, include: effective.tagPolicy?.include,
                                exclude: effective.tagPolicy?.exclude, prereleases: effective.tagPolicy?.prereleases ?? false,
                                updatedAt: nil, source: effective.source)
    }

    public func setPolicy(host: HostServices, scope: String, target: String, _ input: UpdatePolicyInput, by principal: Principal) throws -> UpdatePolicyView {
        let valid = try input.validated()
        let record = UpdatePolicyRecord(hostID: host.record.id, scope: scope, target: target, mode: valid.mode.rawValue,
                                        maintenanceWindow: valid.window, cooldownHours: valid.cooldown,
                                        tagPolicy: valid.tagPolicy.map { jsonText($0) }, updatedBy: principal.userID, updatedAt: Timestamp.string())
        try database.saveUpdatePolicy(record)
        return try policy(host: host, scope: scope, target: target)
    }

    public func clearPolicy(host: HostServices, scope: String, target: String) throws {
        try database.deleteUpdatePolicy(hostID: host.record.id, scope: scope, target: target)
    }
}
