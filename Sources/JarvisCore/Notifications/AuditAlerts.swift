import Foundation
import JarvisStore
import Logging

/// `security.audit_chain_broken`: jarvis-sse verifies the audit chain every hour (and `jarvisctl audit verify`
/// reports what it found); a broken chain is told once per first bad row (the mark `audit-chain`), and again only
/// after a verification found it intact or the first bad row moved.
public struct AuditChainWatch: Sendable {
    let database: AppDatabase
    let notifier: Notifier
    let logger: Logger
    /// Seconds between verifications in jarvis-sse.
    public var interval: TimeInterval = 3600

    public init(database: AppDatabase, logger: Logger = Logger(label: "jarvis.audit")) {
        self.database = database
        self.notifier = Notifier(database: database, logger: logger)
        self.logger = logger
    }

    /// Whether a verification that found `brokenAt` (nil = intact) is news, given the first bad row already told.
    static func isNews(brokenAt: Int64?, told: String?) -> Bool {
        guard let brokenAt else { return false }
        return told != String(brokenAt)
    }

    /// Records a verification's outcome: emits on a newly broken chain, forgets a repaired one.
    public func record(_ report: AuditChain.Report, by source: String) {
        let told = (try? database.notifyMark("audit-chain")) ?? nil
        guard Self.isNews(brokenAt: report.brokenAt, told: told) || (report.brokenAt == nil && told != nil) else { return }
        let previous = try? database.swapNotifyMark("audit-chain", to: report.brokenAt.map(String.init))
        guard let brokenAt = report.brokenAt, previous != String(brokenAt) else { return }
        let reason = report.reason ?? "mismatch"
        notifier.emit(.auditChainBroken, target: "audit_log", summary: "The audit chain does not verify from row \(brokenAt): \(reason)",
                      fields: ["first_bad_id": String(brokenAt), "reason": reason, "rows_verified": String(report.verified), "by": source])
    }

    /// One verification, recorded; nil when the chain could not be read at all (logged).
    @discardableResult
    public func verifyOnce() -> AuditChain.Report? {
        let started = Date()
        do {
            let report = try database.verifyAudit()
            let millis = Int(Date().timeIntervalSince(started) * 1000)
            if let broken = report.brokenAt {
                logger.error("audit chain broken", metadata: ["first_bad_id": "\(broken)", "reason": "\(report.reason ?? "-")"])
            } else {
                logger.info("audit chain verified", metadata: ["rows": "\(report.verified)", "ms": "\(millis)"])
            }
            record(report, by: "jarvis-sse")
            return report
        } catch {
            logger.error("audit chain not verified", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Verifies a minute after start, then every `interval`, until cancelled.
    public func run() async {
        try? await Task.sleep(nanoseconds: 60_000_000_000)
        while !Task.isCancelled {
            // A walk of a large chain takes seconds of CPU (about 6 s per 100,000 rows): off the cooperative pool,
            // so streams and the terminal keep their threads meanwhile.
            let watch = self
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                DispatchQueue.global(qos: .utility).async { watch.verifyOnce(); done.resume() }
            }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
        }
    }
}
