import DockerEngine
import Foundation
import JarvisStore

/// `host.certificate_expiring`: once per host and expiry date, when the first of a TLS host's CA and client
/// certificate expiry dates comes within `notify_certificate_days`. The mark `cert:<host id>` holds the expiry
/// already told, so every later check (every `host_check_interval`) stays quiet until the certificate changes.
struct CertificateAlert {
    let database: AppDatabase
    let notifier: Notifier
    let windowDays: Int

    /// The first expiry among the TLS facts' CA and client certificate, and which one it is.
    static func earliestExpiry(credentialFacts: String) -> (at: String, which: String)? {
        let facts = JSONValue.parse(credentialFacts)
        return ["ca", "client"].compactMap { which in facts?["tls"]?[which]?["not_after"]?.string.map { (at: $0, which: which) } }
            .min { $0.at < $1.at }
    }

    /// Whether an expiry `at` is news: inside the window (or past) and not the one already told (`told`).
    static func isNews(expiry: Date, at: String, now: Date, windowDays: Int, told: String?) -> Bool {
        windowDays > 0 && expiry.timeIntervalSince(now) < Double(windowDays) * 86400 && told != at
    }

    func check(_ host: HostRecord, now: Date = Date()) {
        guard windowDays > 0, let (at, which) = Self.earliestExpiry(credentialFacts: host.credentialFacts),
              let expiry = Timestamp.date(at) else { return }
        let key = "cert:\(host.id)"
        guard Self.isNews(expiry: expiry, at: at, now: now, windowDays: windowDays, told: try? database.notifyMark(key)) else { return }
        // The swap decides under the write lock: two checks racing emit once.
        guard (try? database.swapNotifyMark(key, to: at)) != at else { return }
        let days = Int((expiry.timeIntervalSince(now) / 86400).rounded(.down))
        let summary = days < 0 ? "\(host.name): the TLS \(which) certificate expired on \(at)"
            : "\(host.name): the TLS \(which) certificate expires in \(days) days (\(at))"
        notifier.emit(.hostCertificateExpiring, target: host.name, summary: summary, host: (host.id, host.name),
                      fields: ["expires_at": at, "days_left": String(days), "certificate": which, "window_days": String(windowDays)])
    }
}

/// `host.disk_usage`: when a host's images, containers, volumes and build cache together go above
/// `notify_disk_bytes` (0 = off). Once per crossing: the mark `disk:<host id>` says "above" until a report below.
public struct DiskUsageAlert: Sendable {
    let database: AppDatabase
    let notifier: Notifier
    let host: (id: Int64, name: String)
    let thresholdBytes: Int64

    /// What a report means given whether the last one was above: `emit` on a crossing upwards, and the new state.
    static func crossing(total: Int64, threshold: Int64, wasAbove: Bool) -> (emit: Bool, above: Bool) {
        guard threshold > 0 else { return (false, false) }
        let above = total > threshold
        return (above && !wasAbove, above)
    }

    func observe(_ report: DiskUsageReport) {
        guard thresholdBytes > 0 else { return }
        let usage = DiskUsageSummary(report: report, observedAt: nil, refreshing: false, error: nil)
        let parts = [usage.images.size, usage.containers.size, usage.volumes.size, usage.buildCache.size]
        let total = parts.reduce(0, +)
        let key = "disk:\(host.id)"
        let wasAbove = ((try? database.notifyMark(key)) ?? nil) == "above"
        let step = Self.crossing(total: total, threshold: thresholdBytes, wasAbove: wasAbove)
        guard step.above != wasAbove else { return }
        // The swap decides under the write lock, so a crossing is told once even if two samplers raced.
        let previous = try? database.swapNotifyMark(key, to: step.above ? "above" : nil)
        guard step.emit, previous != "above" else { return }
        notifier.emit(.hostDiskUsage, target: host.name,
                      summary: "\(host.name) uses \(Self.size(total)) for images, containers, volumes and build cache "
                          + "(threshold \(Self.size(thresholdBytes)))",
                      host: host,
                      fields: ["total_bytes": String(total), "threshold_bytes": String(thresholdBytes), "images_bytes": String(parts[0]),
                               "containers_bytes": String(parts[1]), "volumes_bytes": String(parts[2]), "build_cache_bytes": String(parts[3])])
    }

    /// Bytes in binary units with one decimal (`60.0 GiB`), for the summary.
    static func size(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
