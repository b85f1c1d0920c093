import Crypto
import Foundation
import GRDB

/// The audit log is a hash chain: each row stores the previous row's hash and
/// a hash of its own content plus that hash, so an edit or a deletion inside
/// the chain breaks every link after it. A retention purge leaves a
/// checkpoint holding the hash of the last purged row, where the chain resumes.
///
/// Rows are keyed: the hash is HMAC-SHA256 under a key kept in a 0600 file
/// outside the store (`AppDatabase.auditKeyPath`), so someone who can write
/// the database but not read that file cannot recompute the chain after an
/// edit. Rows written before the key existed keep the plain SHA-256 rule; the
/// first keyed row's id is the chain's *marker* (table `audit_chain`, itself
/// MAC'd), so those legacy rows cannot be extended, nor keyed rows passed off
/// as legacy ones. Purge checkpoints over keyed rows carry a MAC too.
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

    /// The legacy rule (rows before the marker): plain SHA-256, recomputable by anyone.
    static func plainHash(_ row: AuditRecord, prev: String) -> String {
        hex(SHA256.hash(data: Data((prev + "\u{1E}" + content(row)).utf8)))
    }

    /// The keyed rule: HMAC-SHA256 of the same text.
    static func keyedHash(_ row: AuditRecord, prev: String, key: SymmetricKey) -> String {
        mac("\(prev)\u{1E}\(content(row))", key: key)
    }

    static func markerMAC(keyedFrom: Int64, key: SymmetricKey) -> String {
        mac("jarvis-audit-chain-v2|keyed_from=\(keyedFrom)", key: key)
    }

    static func checkpointMAC(lastID: Int64, lastHash: String, purged: Int, key: SymmetricKey) -> String {
        mac("jarvis-audit-checkpoint|\(lastID)|\(lastHash)|\(purged)", key: key)
    }

    static func mac(_ text: String, key: SymmetricKey) -> String {
        hex(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
    }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// The chain's newest link: what `jarvisctl audit head` and jarvis-sse publish,
    /// and what `verifyAudit(head:)` checks against later.
    public struct Head: Sendable, Equatable, CustomStringConvertible {
        public let id: Int64
        public let hash: String

        public init(id: Int64, hash: String) {
            self.id = id
            self.hash = hash
        }

        /// `ID:HASH`, as published; nil when the text is not of that shape.
        public init?(_ text: String) {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let id = Int64(parts[0]), id > 0, parts[1].count == 64,
                  parts[1].allSatisfy(\.isHexDigit) else { return nil }
            self.init(id: id, hash: parts[1].lowercased())
        }

        public var description: String { "\(id):\(hash)" }
    }

    /// The outcome of `AppDatabase.verifyAudit()`.
    public struct Report: Sendable, Equatable {
        public internal(set) var verified: Int
        /// The first row whose link or content does not match, with the reason.
        public let brokenAt: Int64?
        public let reason: String?
        public let checkpoints: Int
        /// Rows verified with the legacy (unkeyed) rule, before the marker.
        public var legacyRows = 0
        /// The first keyed row; nil while no row has been written with the key.
        public var keyedFrom: Int64?
        /// The last row verified (or the checkpoint when every row was purged).
        public var head: Head?
        /// What the published head given to the check came to, when one was given.
        public var headCheck: String?

        public var isIntact: Bool { brokenAt == nil }

        init(verified: Int, brokenAt: Int64?, reason: String?, checkpoints: Int) {
            self.verified = verified
            self.brokenAt = brokenAt
            self.reason = reason
            self.checkpoints = checkpoints
        }
    }
}

/// The audit key, read once per process. It is created only together with the
/// chain's marker (`AppDatabase.auditKeyForWriting`), so an existing key file
/// with no marker set means the marker was cleared (a downgrade to the plain rule).
final class AuditChainKeyCache: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var key: SymmetricKey?

    init(path: String) { self.path = path }

    /// The key, nil when the file does not exist (yet); never creates one.
    func load() throws -> SymmetricKey? {
        try lock.withLock {
            if let key { return key }
            key = try KeyFile.load(path: path).map { SymmetricKey(data: $0) }
            return key
        }
    }

    var missing: StoreError {
        StoreError.io("the audit chain key \(path) is missing: the keyed rows cannot be checked without it")
    }
}

extension AppDatabase {
    /// Appends a row to the chain in one immediate transaction, so concurrent
    /// writers (both processes) link to each other's rows, never to the same one.
    @discardableResult
    public func appendAudit(_ entry: AuditRecord) throws -> AuditRecord {
        let key = try auditKeyForWriting()
        return try pool.writeWithoutTransaction { db in
            var row = entry
            try db.inTransaction(.immediate) {
                row.prevHash = try Self.chainHead(db)?.hash ?? ""
                row.hash = ""
                try row.insert(db)  // the id is part of the content: hash after it is known
                row.hash = AuditChain.keyedHash(row, prev: row.prevHash, key: key)
                try db.execute(sql: "UPDATE audit_log SET hash = ? WHERE id = ?", arguments: [row.hash, row.id])
                return .commit
            }
            return row
        }
    }

    /// Servers call this at start, so the key file is created by the service's
    /// user (as the JWT key is) and the chain is keyed from then on.
    public func prepareAuditChain() throws { _ = try auditKeyForWriting() }

    /// The key for writing. The first writer of a store creates it and, in the
    /// same write transaction, sets the marker: `keyed_from` = the next row id,
    /// with a MAC. Nothing else ever sets the marker, so clearing it later
    /// cannot be healed by the next append.
    func auditKeyForWriting() throws -> SymmetricKey {
        if let key = try auditKey.load() { return key }
        let fresh = KeyFile.random(32)
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                // Holding the write lock: no row can be appended between the two steps.
                guard try KeyFile.install(fresh, at: auditKey.path) else { return .rollback }  // another process won
                let next = (try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'") ?? 0) + 1
                try db.execute(sql: "UPDATE audit_chain SET keyed_from = ?, mac = ? WHERE id = 1 AND keyed_from IS NULL",
                               arguments: [next, AuditChain.markerMAC(keyedFrom: next, key: SymmetricKey(data: fresh))])
                return .commit
            }
        }
        guard let key = try auditKey.load() else { throw auditKey.missing }
        return key
    }

    /// The chain's newest link: the newest row, else the newest checkpoint; nil when empty.
    public func auditChainHead() throws -> AuditChain.Head? {
        try pool.read { try Self.chainHead($0) }
    }

    private static func chainHead(_ db: Database) throws -> AuditChain.Head? {
        if let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1") {
            return AuditChain.Head(id: last["id"], hash: last["hash"])
        }
        return try Row.fetchOne(db, sql: "SELECT last_id, last_hash FROM audit_checkpoints ORDER BY id DESC LIMIT 1")
            .map { AuditChain.Head(id: $0["last_id"], hash: $0["last_hash"]) }
    }

    /// Walks the chain from the newest checkpoint and reports the first broken
    /// link; with `head` (a head published earlier), also that this link is
    /// still in the chain unchanged, which catches deleted newest rows.
    public func verifyAudit(head published: AuditChain.Head? = nil) throws -> AuditChain.Report {
        let key = try auditKey.load()
        return try pool.read { db in
            let checkpoints = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_checkpoints") ?? 0
            func broken(_ id: Int64?, _ reason: String, verified: Int = 0) -> AuditChain.Report {
                .init(verified: verified, brokenAt: id ?? 0, reason: reason, checkpoints: checkpoints)
            }
            guard let marker = try Row.fetchOne(db, sql: "SELECT keyed_from, mac FROM audit_chain WHERE id = 1") else {
                return broken(try Int64.fetchOne(db, sql: "SELECT MIN(id) FROM audit_log"),
                              "the keyed-chain marker was deleted: the chain may have been rewritten")
            }
            let keyedFrom: Int64? = marker["keyed_from"]
            if let keyedFrom {
                guard let key else { throw auditKey.missing }
                if marker["mac"] as String? != AuditChain.markerMAC(keyedFrom: keyedFrom, key: key) {
                    return broken(keyedFrom, "the keyed-chain marker was altered (or the key is not this store's)")
                }
            } else if key != nil {
                return broken(try Int64.fetchOne(db, sql: "SELECT MIN(id) FROM audit_log"),
                              "the keyed-chain marker was cleared although the key exists: the chain may have been rewritten")
            }
            let firstKeyed = keyedFrom ?? Int64.max
            let checkpoint = try Row.fetchOne(db, sql: "SELECT last_id, last_hash, purged, mac FROM audit_checkpoints ORDER BY id DESC LIMIT 1")
            var prev: String = checkpoint?["last_hash"] ?? ""
            var lastID: Int64 = checkpoint?["last_id"] ?? 0
            if let checkpoint {
                let mac: String? = checkpoint["mac"]
                let forged = key.map { key in
                    mac.map { $0 != AuditChain.checkpointMAC(lastID: lastID, lastHash: prev, purged: checkpoint["purged"], key: key) }
                        ?? (lastID >= firstKeyed)
                } ?? false
                if forged {
                    return broken(lastID, "the purge checkpoint at row \(lastID) was forged or altered")
                }
            }
            var report = AuditChain.Report(verified: 0, brokenAt: nil, reason: nil, checkpoints: checkpoints)
            var publishedSeen = false
            let rows = try AuditRecord.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY id")
            while let row = try rows.next() {
                guard let id = row.id, id > lastID else {
                    return broken(row.id, "row predates the last purge checkpoint", verified: report.verified)
                }
                if row.prevHash != prev {
                    let reason = id != lastID + 1
                        ? "rows \(lastID + 1)...\(id - 1) were deleted" : "the previous row was changed or removed"
                    return broken(id, reason, verified: report.verified)
                }
                let keyed = id >= firstKeyed
                let expected = keyed ? key.map { AuditChain.keyedHash(row, prev: prev, key: $0) } : AuditChain.plainHash(row, prev: prev)
                if expected != row.hash {
                    return broken(id, keyed ? "row content was changed (its HMAC does not match: edited, or rewritten without the key)"
                                            : "row content was changed", verified: report.verified)
                }
                if let published, published.id == id {
                    guard published.hash == row.hash else {
                        return broken(id, "row \(id) is not the one published as the chain head", verified: report.verified)
                    }
                    publishedSeen = true
                }
                prev = row.hash
                lastID = id
                report.verified += 1
                if !keyed { report.legacyRows += 1 }
            }
            report.keyedFrom = keyedFrom
            report.head = lastID > 0 ? AuditChain.Head(id: lastID, hash: prev) : nil
            if let published {
                let purgedThrough: Int64 = checkpoint?["last_id"] ?? 0
                if publishedSeen {
                    report.headCheck = "published head \(published.id) is in the chain"
                } else if published.id == purgedThrough, published.hash == (checkpoint?["last_hash"] as String?) {
                    report.headCheck = "published head \(published.id) is the last purged row (checkpoint)"
                } else if published.id < purgedThrough {
                    report.headCheck = "published head \(published.id) was purged by retention; the checkpoint after it verified"
                } else if published.id > lastID {
                    return broken(lastID + 1, "rows after \(lastID) were deleted: the published head \(published.id) is gone",
                                  verified: report.verified)
                } else {
                    return broken(published.id, "row \(published.id), published as the chain head, is missing", verified: report.verified)
                }
            }
            return report
        }
    }

    /// Deletes rows older than the cutoff and records a checkpoint (MAC'd)
    /// holding the last deleted row's hash, so the remaining chain still verifies.
    @discardableResult
    public func purgeAudit(olderThan cutoff: Date) throws -> Int {
        let key = try auditKey.load()  // never created here: only a writer of rows sets up the chain
        return try pool.writeWithoutTransaction { db in
            var purged = 0
            try db.inTransaction(.immediate) {
                guard let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_log WHERE at < ? ORDER BY id DESC LIMIT 1",
                                                  arguments: [Timestamp.string(cutoff)]) else { return .commit }
                let lastID: Int64 = last["id"]
                let lastHash: String = last["hash"]
                let keyedFrom = try Int64.fetchOne(db, sql: "SELECT keyed_from FROM audit_chain WHERE id = 1")
                if keyedFrom != nil && key == nil { throw auditKey.missing }
                try db.execute(sql: "DELETE FROM audit_log WHERE id <= ?", arguments: [lastID])
                purged = db.changesCount
                try db.execute(sql: "INSERT INTO audit_checkpoints (at, last_id, last_hash, purged, mac) VALUES (?, ?, ?, ?, ?)",
                               arguments: [Timestamp.string(), lastID, lastHash, purged,
                                           key.map { AuditChain.checkpointMAC(lastID: lastID, lastHash: lastHash, purged: purged, key: $0) }])
                return .commit
            }
            return purged
        }
    }
}
