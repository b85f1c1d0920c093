import Foundation
import JarvisStore
import Logging
import Schedule

/// jarvis-sse's update loop: checks every online host every `update_check_interval` (with jitter, one host
/// at a time), and after each round tells of new updates (policy `notify`, once per container and digest) and
/// queues the updates policy `auto` allows now (inside its maintenance window, once the new image is older
/// than its cooldown). Auto updates act as the user who set the policy, or for a label policy the first admin.
public final class UpdateWatch: @unchecked Sendable {
    private let environment: JarvisEnvironment
    private let logger: Logger
    private var lastRound: [Int64: Date] = [:]

    public init(environment: JarvisEnvironment, logger: Logger) {
        self.environment = environment
        self.logger = logger
    }

    public func run() async {
        let interval = environment.config.updateCheckInterval
        guard interval > 0 else { return }
        while !Task.isCancelled {
            await tick(interval: TimeInterval(interval))
            try? await Task.sleep(nanoseconds: 30_000_000_000)
        }
    }

    func tick(interval: TimeInterval) async {
        let database = environment.database
        guard let hosts = try? database.hosts() else { return }
        for record in hosts where record.state != "offline" {
            let last = lastRound[record.id] ?? lastCheck(record.id) ?? .distantPast
            // Jitter of up to a tenth of the interval, fixed per host, so hosts do not all ask at once.
            let jitter = interval / 10 * TimeInterval(record.id % 97) / 97
            guard Date().timeIntervalSince(last) >= interval + jitter else { continue }
            lastRound[record.id] = Date()
            do {
                let host = try environment.hosts.services(record)
                let secrets = try SecretBox.load(dataDir: environment.config.dataDir)
                let registry = RegistryClient(insecureRegistries: environment.config.insecureRegistries) { registry in
                    guard let saved = try? database.registryCredential(registry: registry),
                          let password = try? secrets.open(saved.sealedPassword) else { return nil }
                    return RegistryClient.Login(username: saved.username, password: password)
                }
                let summary = try await UpdateChecker(host: host, database: database, registry: registry).check()
                logger.info("update check", metadata: ["host": "\(record.name)", "available": "\(summary.updateAvailable)",
                                                       "head": "\(summary.headRequests)", "get": "\(summary.getRequests)"])
                try await act(on: host)
            } catch {
                logger.warning("update check failed", metadata: ["host": "\(record.name)", "error": "\(error)"])
            }
        }
    }

    private func lastCheck(_ hostID: Int64) -> Date? {
        (try? environment.database.updateChecks(UpdateCheckFilter(hostIDs: [hostID])))?.compactMap { Timestamp.date($0.checkedAt) }.max()
    }

    /// Messages for new updates, and the auto updates due now.
    func act(on host: HostServices) async throws {
        let database = environment.database
        let notifier = Notifier(database: database, logger: logger)
        let policies = UpdatePolicies(database: database, hostID: host.record.id, preload: true)
        let containers = try await host.docker.containers(.init(all: true))
        for row in try environment.updates.available(host: host) {
            let labels = containers.first { $0.id == row.containerID }?.labels ?? [:]
            let policy = try policies.effective(container: row.containerName, stack: row.stack, labels: labels)
            guard policy.mode != .off else { continue }
            let digest = row.availableTag ?? row.availableDigest ?? ""
            let mark = "update:\(host.record.id):\(row.containerName)"
            if try database.swapNotifyMark(mark, to: digest) != digest {
                notifier.emit(.imageUpdateAvailable, target: row.containerName,
                              summary: "\(row.containerName): \(row.image) has " + (row.availableTag.map { "a newer tag \($0)" } ?? "a new image"),
                              host: (host.record.id, host.name),
                              fields: ["container": row.containerName, "image": row.image, "available_digest": row.availableDigest ?? "",
                                       "available_tag": row.availableTag ?? "", "policy": policy.mode.rawValue])
            }
            guard policy.mode == .auto, Self.due(policy, created: row.availableCreated, now: Date()) else { continue }
            // An image that was rolled back once is not tried again by the policy: an operator decides.
            let tried = try database.updateHistory(hostIDs: [host.record.id], containerName: row.containerName, limit: 20).items
            if tried.contains(where: { $0.result != "updated" && $0.toDigest != nil && $0.toDigest == row.availableDigest }) { continue }
            guard let actor = try actor(policy) else {
                logger.warning("auto update skipped: no user to act as", metadata: ["container": "\(row.containerName)"])
                continue
            }
            do {
                let task = try await environment.updates.update(row.containerID, UpdateRequest(tag: row.availableTag), host: host, by: actor,
                                                                byPolicy: true)
                logger.info("auto update queued", metadata: ["container": "\(row.containerName)", "task": "\(task.id)"])
            } catch {
                logger.warning("auto update not queued", metadata: ["container": "\(row.containerName)", "error": "\(error)"])
            }
        }
    }

    /// Inside the maintenance window (the cron expression matches this minute) and past the cooldown.
    static func due(_ policy: EffectiveUpdatePolicy, created: String?, now: Date) -> Bool {
        if policy.cooldownHours > 0 {
            guard let created = created.flatMap(Timestamp.date) ?? created.flatMap(Self.rfc3339),
                  now.timeIntervalSince(created) >= TimeInterval(policy.cooldownHours * 3600) else { return false }
        }
        guard let window = policy.maintenanceWindow else { return true }
        guard let expression = try? CronExpression(window) else { return false }
        let trigger = Trigger(kind: .cron(expression), zone: .current)
        guard let next = trigger.nextFire(after: now.addingTimeInterval(-60)) else { return false }
        return next <= now
    }

    static func rfc3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: String(text.prefix(19)) + "Z")
    }

    private func actor(_ policy: EffectiveUpdatePolicy) throws -> Principal? {
        let database = environment.database
        let user = try policy.setBy.flatMap { try database.user(id: $0) }
            ?? database.users().filter { $0.role == Role.admin.rawValue && !$0.disabled }.min { ($0.id ?? 0) < ($1.id ?? 0) }
        guard let user, let id = user.id, !user.disabled, let role = Role(rawValue: user.role), role >= .operator_ else { return nil }
        return Principal(userID: id, username: user.username, role: role, sessionID: "update-policy", csrf: nil, viaCookie: false)
    }
}
