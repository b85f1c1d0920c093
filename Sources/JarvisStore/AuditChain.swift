import Crypto
import Foundation
import GRDB

/// The audit log is a hash chain: each row stores the previous row's hash and
/// the SHA-256 of its own content plus that hash, so an edit or a deletion
/// inside the chain breaks every link after it. A retention purge leaves a
/// checkpoint holding the hash of the last purged row, where the chain resumes.
public enum AuditChain {
    /// The text a row's hash covers: every column but the hashes, in a fixed order.
    static func content(_ row: AuditRecord) -> String {
        let fields: [String?] = [
            row.id.map(String.init), row.at, row.userID.map(String.init), row.username, row.role, row.action,
            row.resourceType, row.resourceID, row.resourceName, row.params, row.result, row.error, row.ip,
            row.userAgent, row.requestID,
        ]
        // A unit separator between fields, and a marker for NULL, so no two rows share a text.
        return fields.map { $0.map { "=" + $0 } ?? "-" }.joined(separator: "\u{1F}")
    }

    static func hash(_ row: AuditRecord, prev: String) -> String {
        let digest = SHA256.hash(data: Data((prev + "\u{1E}" + content(row)).utf8))
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The outcome of `AppDatabase.verifyAudit()`.
    public struct Report: Sendable, Equatable {
        public let verified: Int
        /// The first row whose link or content does not match, with the reason.
        public let brokenAt: Int64?
        public let reason: String?
        public let checkpoints: Int

        public var isIntact: Bool { brokenAt == nil }
    }
}

extension AppDatabase {
    /// Appends a row to the chain in one immediate transaction, so concurrent
    /// writers (both processes) link to each other's rows, never to the same one.
    @discardableResult
    public func appendAudit(_ entry: AuditRecord) throws -> AuditRecord {
        try pool.writeWithoutTransaction { db in
            var row = entry
            try db.inTransaction(.immediate) {
                row.prevHash = try Self.chainHead(db)
                row.hash = ""
                try row.insert(db)  // the id is part of the content: hash after it is known
                row.hash = AuditChain.hash(row, prev: row.prevHash)
                try db.execute(sql: "UPDATE audit_log SET hash = ? WHERE id = ?", arguments: [row.hash, row.id])
                return .commit
            }
            return row
        }
    }

    /// The hash the next row links to: the newest row's, else the newest checkpoint's.
    private static func chainHead(_ db: Database) throws -> String {
        if let last = try String.fetchOne(db, sql: "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1") { return last }
        return try String.fetchOne(db, sql: "SELECT last_hash FROM audit_checkpoints ORDER BY id DESC LIMIT 1") ?? ""
    }

    /// Walks the chain from the newest checkpoint and reports the first broken link.
    public func verifyAudit() throws -> AuditChain.Report {
        try pool.read { db in
            let checkpoint = try Row.fetchOne(db, sql: "SELECT last_id, last_hash FROM audit_checkpoints ORDER BY id DESC LIMIT 1")
            let checkpoints = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_checkpoints") ?? 0
            var prev: String = checkpoint?["last_hash"] ?? ""
            var lastID: Int64 = checkpoint?["last_id"] ?? 0
            var verified = 0
            let rows = try AuditRecord.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY id")
            while let row = try rows.next() {
                guard let id = row.id, id > lastID else {
                    return .init(verified: verified, brokenAt: row.id, reason: "row predates the last purge checkpoint",
                                 checkpoints: checkpoints)
                }
                if row.prevHash != prev {
                    let reason = id != lastID + 1
                        ? "rows \(lastID + 1)...\(id - 1) were deleted" : "the previous row was changed or removed"
                    return .init(verified: verified, brokenAt: id, reason: reason, checkpoints: checkpoints)
                }
                if AuditChain.hash(row, prev: prev) != row.hash {
                    return .init(verified: verified, brokenAt: id, reason: "row content was changed", checkpoints: checkpoints)
                }
                prev = row.hash
                lastID = id
                verified += 1
            }
            return .init(verified: verified, brokenAt: nil, reason: nil, checkpoints: checkpoints)
        }
    }

    /// Deletes rows older than the cutoff and records a checkpoint holding the
    /// last deleted row's hash, so the remaining chain still verifies.
    @discardableResult
    public func purgeAudit(olderThan cutoff: Date) throws -> Int {
        try pool.writeWithoutTransaction { db in
            var purged = 0
            try db.inTransaction(.immediate) {
                guard let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_log WHERE at < ? ORDER BY id DESC LIMIT 1",
                                                  arguments: [Timestamp.string(cutoff)]) else { return .commit }
                let lastID: Int64 = last["id"]
                try db.execute(sql: "DELETE FROM audit_log WHERE id <= ?", arguments: [lastID])
                purged = db.changesCount
                try db.execute(sql: "INSERT INTO audit_checkpoints (at, last_id, last_hash, purged) VALUES (?, ?, ?, ?)",
                               arguments: [Timestamp.string(), lastID, last["hash"] as String, purged])
                return .commit
            }
            return purged
        }
    }
}
