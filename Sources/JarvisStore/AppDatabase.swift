import Foundation
import GRDB

/// The Jarvis SQLite store: one WAL database file shared by jarvis-fcgi,
/// jarvis-sse and jarvisctl. Writes are named for intent in the `+` files.
public final class AppDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String
    /// The audit chain's HMAC key file: outside the database, so writing the
    /// store is not enough to forge the chain (`AuditChain`).
    public let auditKeyPath: String
    let auditKey: AuditChainKeyCache

    /// Opens (creating if needed) the database and applies pending migrations.
    /// The audit key defaults to `keys/audit-chain.key` beside the database
    /// and is read (or created) when the chain is first written or checked.
    public init(path: String, auditKeyPath: String? = nil) throws {
        self.path = path
        self.auditKeyPath = auditKeyPath ?? (path as NSString).deletingLastPathComponent + "/keys/audit-chain.key"
        auditKey = AuditChainKeyCache(path: self.auditKeyPath)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        // Opening (which switches a new file to WAL) and migrating both need the
        // write lock; doing them under one file lock keeps starting processes in line.
        pool = try Self.withMigrationLock(path: path + ".migrate.lock") {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try Migrations.migrator.migrate(pool)
            return pool
        }
    }

    /// Every migration this build knows, in order.
    public static var migrationNames: [String] { Migrations.migrator.migrations }

    /// Names of the migrations applied to this file, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { try Migrations.migrator.appliedMigrations($0) }
    }

    /// True when `SELECT 1` answers: the health check's view of the store.
    public func isReachable() -> Bool {
        (try? pool.read { try Int.fetchOne($0, sql: "SELECT 1") }) == 1
    }

    /// Two processes starting at once must not both run a migration: GRDB's
    /// migrator checks then applies, which is safe within one process only.
    private static func withMigrationLock<T>(path: String, _ body: () throws -> T) throws -> T {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw StoreError.io("cannot lock \(path)") }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}

/// Errors of the store layer that are not SQLite's own.
public enum StoreError: Error, CustomStringConvertible {
    case io(String)
    case notFound(String)

    public var description: String {
        switch self {
        case let .io(message), let .notFound(message): return message
        }
    }
}
