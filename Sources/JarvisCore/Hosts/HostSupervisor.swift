import DockerEngine
import Foundation
import JarvisStore
import Logging

/// jarvis-sse's care of every host: a health check of each one every
/// `host_check_interval` seconds (at most `host_check_concurrency` at once), and
/// for each online host what used to run for the one engine: the container
/// mirror (events stream and resyncs) and the stats sampler. A host that goes
/// offline, is archived, deleted or changed has its watchers stopped (its rows
/// become last known); they start again when it is back.
public final class HostSupervisor: @unchecked Sendable {
    let registry: HostRegistry
    let database: AppDatabase
    let logger: Logger
    let interval: Double
    let concurrency: Int
    let statsInterval: Double
    let statsBudget: StatsBudget
    let notifier: Notifier
    let certificates: CertificateAlert
    let diskBytes: Int64
    private let lock = NSLock()
    private var watchers: [Int64: (key: String, work: Task<Void, Never>, watermark: Watermark, engine: DockerHost)] = [:]
    /// Checks since each host's facts (`/version`, `/info`) were last read.
    private var checksSinceFacts: [Int64: Int] = [:]
    /// An online host's facts are read again every this many checks (10 minutes at the default interval).
    static let factsEvery = 10

    public init(environment: JarvisEnvironment, logger: Logger) {
        registry = environment.hosts
        database = environment.database
        notifier = environment.notifier
        certificates = CertificateAlert(database: environment.database, notifier: environment.notifier,
                                        windowDays: environment.config.notifyCertificateDays)
        diskBytes = environment.config.notifyDiskBytes
        self.logger = logger
        interval = Double(environment.config.hostCheckInterval)
        concurrency = environment.config.hostCheckConcurrency
        statsInterval = Double(environment.config.statsInterval)
        statsBudget = StatsBudget(perSecond: environment.config.statsMaxRate)
    }

    /// The mirror's watermark of a host: event streams wait on it so a listed row is never older than the event.
    public func watermark(for hostID: Int64) -> Watermark? { lock.withLock { watchers[hostID]?.watermark } }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.checkPeriodically() }
            group.addTask { await self.reconcilePeriodically() }
        }
        for entry in lock.withLock({ Array(watchers.values) }) { entry.work.cancel() }
    }

    /// One round over every unarchived host; returns how many were checked.
    @discardableResult
    public func checkAll() async -> Int {
        let hosts = (try? database.hosts()) ?? []
        var pending = hosts[...]
        await withTaskGroup(of: Void.self) { group in
            func next() {
                guard let host = pending.popFirst() else { return }
                group.addTask { await self.check(host) }
            }
            for _ in 0..<concurrency { next() }
            for await _ in group { next() }
        }
        reconcile()
        return hosts.count
    }

    func check(_ host: HostRecord) async {
        let result: HostCheckResult
        let facts = lock.withLock {
            let due = host.state != "online" || checksSinceFacts[host.id, default: Self.factsEvery] >= Self.factsEvery
            checksSinceFacts[host.id] = due ? 1 : checksSinceFacts[host.id, default: 0] + 1
            return due
        }
        do {
            result = await HostHealth.check(try registry.client(for: host), facts: facts)
        } catch {
            result = HostCheckResult(online: false, latencyMs: nil, error: JarvisError.wrap(error).message, engine: nil)
        }
        do {
            if let event = try database.recordHostCheck(id: host.id, result) {
                logger.info("host state changed", metadata: ["host": "\(host.name)", "state": "\(event.state)", "error": "\(event.error ?? "-")"])
                notifyStateChange(event, host: host)
            }
            if host.transport == "tls" { certificates.check(host) }
        } catch {
            logger.error("host check not stored", metadata: ["host": "\(host.name)", "error": "\(error)"])
        }
    }

    /// Offline from any other state, and back online after being offline, are worth a message.
    private func notifyStateChange(_ event: HostEventRecord, host: HostRecord) {
        if event.state == "offline" && event.previous != "offline" {
            notifier.emit(.hostOffline, target: host.name, summary: "\(host.name) stopped answering: \(event.error ?? "no answer")",
                          host: (host.id, host.name), fields: ["error": event.error ?? "", "previous": event.previous])
        } else if event.state == "online" && event.previous == "offline" {
            notifier.emit(.hostOnline, target: host.name, summary: "\(host.name) answers again", host: (host.id, host.name),
                          fields: ["latency_ms": event.latencyMs.map { String(Int($0)) } ?? ""])
        }
    }

    private func checkPeriodically() async {
        while !Task.isCancelled {
            let started = Date()
            await checkAll()
            let rest = interval - Date().timeIntervalSince(started)
            if rest > 0 { try? await Task.sleep(nanoseconds: UInt64(rest * 1_000_000_000)) }
        }
    }

    /// New hosts (added through jarvis-fcgi) and changed ones are picked up within two seconds.
    private func reconcilePeriodically() async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: 2_000_000_000)
            reconcile()
        }
    }

    /// Watchers run exactly for the hosts that are online, each with the host's current settings.
    func reconcile() {
        guard let hosts = try? database.hosts() else { return }
        var wanted: [Int64: HostRecord] = [:]
        for host in hosts where host.state == "online" { wanted[host.id] = host }
        lock.withLock {
            for (id, entry) in watchers where wanted[id].map(Self.key) != entry.key {
                entry.work.cancel()
                watchers[id] = nil
                HostRegistry.closeTunnel(entry.engine)
                try? database.markContainerMirrorStale(hostID: id)
                logger.info("host watchers stopped", metadata: ["host": "\(id)"])
            }
            for (id, host) in wanted where watchers[id] == nil {
                guard let services = try? registry.services(host) else { continue }
                let alerts = ContainerAlerts(docker: services.docker, notifier: notifier, host: (id, host.name))
                let mirror = ContainerMirror(docker: services.docker, database: database, hostID: id, logger: logger, alerts: alerts)
                let sampler = StatsSampler(docker: services.docker, database: database, hostID: id, logger: logger,
                                           interval: statsInterval, budget: statsBudget)
                let sampling = statsInterval > 0
                let usage = DiskUsageSampler(docker: services.docker, database: database, hostID: id, logger: logger,
                                             alert: DiskUsageAlert(database: database, notifier: notifier, host: (id, host.name),
                                                                   thresholdBytes: diskBytes))
                let work = Task.detached {
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { await mirror.run() }
                        if sampling { group.addTask { await sampler.run() } }
                        group.addTask { await usage.run() }
                    }
                }
                watchers[id] = (Self.key(host), work, mirror.watermark, services.docker.host)
                logger.info("host watchers started", metadata: ["host": "\(host.name)"])
            }
        }
    }

    static func key(_ host: HostRecord) -> String { host.updatedAt + "\u{1F}" + host.endpoint }
}
