import DockerEngine
import Foundation
import JarvisStore
import Logging

/// Reads `GET /system/df` of one host every `interval` seconds, and within two seconds when
/// someone asked (after a prune, or the console's refresh), and stores it: `df` walks every
/// volume and layer and can take seconds, so no request ever waits on it. Also removes file
/// browser helpers a crashed process left behind.
public final class DiskUsageSampler: @unchecked Sendable {
    let docker: DockerClient
    let database: AppDatabase
    let hostID: Int64
    let logger: Logger
    let interval: Double
    /// Tells `host.disk_usage` crossings from each report (notifications).
    let alert: DiskUsageAlert?
    /// The default cadence: df is slow and sizes change slowly.
    public static let defaultInterval: Double = 300

    public init(docker: DockerClient, database: AppDatabase, hostID: Int64, logger: Logger, interval: Double = DiskUsageSampler.defaultInterval,
                alert: DiskUsageAlert? = nil) {
        self.alert = alert
        self.docker = docker
        self.database = database
        self.hostID = hostID
        self.logger = logger
        self.interval = interval
    }

    public func run() async {
        var lastAttempt: Int64 = 0
        while !Task.isCancelled {
            let now = Int64(Date().timeIntervalSince1970)
            let row = try? database.diskUsage(hostID: hostID)
            let requested = (row?.requestedAt ?? 0) > max(row?.observedAt ?? 0, lastAttempt)
            if requested || Double(now - max(row?.observedAt ?? 0, lastAttempt)) >= interval {
                lastAttempt = now
                await refresh()
                await VolumeBrowser.sweep(docker, logger: logger)
            }
            try? await Task.sleep(nanoseconds: 2_000_000_000)
        }
    }

    /// One df read, stored; a failure keeps the last report and records why.
    public func refresh() async {
        let started = Int64(Date().timeIntervalSince1970)
        do {
            let report = try await docker.diskUsageReport()
            let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
            try database.recordDiskUsage(hostID: hostID, report: json, error: nil, at: started)
            alert?.observe(report)
        } catch {
            logger.warning("disk usage not read", metadata: ["host": "\(hostID)", "error": "\(error)"])
            try? database.recordDiskUsage(hostID: hostID, report: nil, error: JarvisError.wrap(error).message, at: started)
        }
    }
}
