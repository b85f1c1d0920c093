import Foundation
import JarvisStore
import Logging

extension JarvisConfig {
    /// The audit chain's HMAC key: beside the JWT key, outside the store.
    public var auditKeyPath: String { dataDir + "/keys/audit-chain.key" }
}

/// Publishes the audit chain's head (newest id and hash) as a JSON log line,
/// at start and every few minutes, so a copy lives where the store cannot
/// reach (journald, a log shipper). `jarvisctl audit verify --head ID:HASH`
/// checks the store against any line published earlier: a rewritten chain or
/// deleted newest rows no longer contain it.
public struct AuditHeadPublisher: Sendable {
    public let database: AppDatabase
    public let logger: Logger
    public var interval: TimeInterval = 300

    public init(database: AppDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Logs the head once (`"audit_head": "empty"` before the first row).
    public func publish() {
        do {
            guard let head = try database.auditChainHead() else {
                logger.notice("audit chain head", metadata: ["audit_head": "empty"])
                return
            }
            logger.notice("audit chain head", metadata: ["audit_head": "\(head)", "audit_head_id": "\(head.id)",
                                                         "audit_head_hash": "\(head.hash)"])
        } catch {
            logger.error("audit chain head unreadable", metadata: ["error": "\(error)"])
        }
    }

    /// Publishes now and then every `interval` until cancelled.
    public func run() async {
        while !Task.isCancelled {
            publish()
            try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
        }
    }
}
