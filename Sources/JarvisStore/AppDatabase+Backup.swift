import Foundation
import GRDB

/// What a backup file holds, as checked before it is trusted.
public struct BackupInfo: Sendable {
    public let path: String
    public let bytes: Int64
    public let migrations: [String]
    public let users: Int
    public let auditRows: Int
}

extension AppDatabase {
    /// Copies the live store to `path` with SQLite's online backup API: one read
    /// transaction, so the copy is the database at one instant while other
    /// processes keep writing. Written beside `path` first, checked, then renamed; mode 0600.
    @discardableResult
    public func backup(to path: String) throws -> BackupInfo {
        let partial = path + ".partial"
        Self.removeDatabaseFiles(partial)
        do {
            let destination = try DatabaseQueue(path: partial)
            try pool.backup(to: destination)
            // The copy needs no WAL of its own: one self-contained file.
            try destination.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = DELETE") }
            try destination.close()
            chmod(partial, 0o600)
            let info = try Self.inspectBackup(partial)
            guard rename(partial, path) == 0 else { throw StoreError.io("cannot move the backup to \(path): \(String(cString: strerror(errno)))") }
            return BackupInfo(path: path, bytes: info.bytes, migrations: info.migrations, users: info.users, auditRows: info.auditRows)
        } catch {
            Self.removeDatabaseFiles(partial)
            throw error
        }
    }

    /// Opens a backup read-only and checks it: integrity, and a schema this build knows.
    public static func inspectBackup(_ path: String) throws -> BackupInfo {
        guard FileManager.default.isReadableFile(atPath: path) else { throw StoreError.notFound("no readable backup at \(path)") }
        var configuration = Configuration()
        configuration.readonly = true
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StoreError.io("\(path) is not a SQLite database: \(error)")
        }
        defer { try? queue.close() }
        return try queue.read { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            guard integrity == ["ok"] else {
                throw StoreError.io("\(path) fails SQLite's integrity check: \(integrity.prefix(3).joined(separator: "; "))")
            }
            guard try db.tableExists("grdb_migrations") else { throw StoreError.io("\(path) is not a Jarvis store (no migrations table)") }
            let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            let unknown = applied.filter { !migrationNames.contains($0) }
            guard unknown.isEmpty else {
                throw StoreError.io("\(path) was written by a newer Jarvis (migrations \(unknown.joined(separator: ", "))): upgrade first")
            }
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return BackupInfo(path: path, bytes: (attributes[.size] as? NSNumber)?.int64Value ?? 0,
                              migrations: migrationNames.filter(applied.contains),
                              users: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0,
                              auditRows: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_log") ?? 0)
        }
    }

    /// Puts a checked backup in place of the store at `databasePath`. Refused while a
    /// server holds the store (see `holdInUse`); the current file is kept as
    /// `<database>.before-restore-<time>`. Returns that path (nil when there was no store).
    public static func restore(from backup: String, to databasePath: String) throws -> (info: BackupInfo, kept: String?) {
        let lock = try lockInUse(databasePath, exclusive: true)
        defer { close(lock) }
        let info = try inspectBackup(backup)
        var kept: String?
        var owner: (uid_t, gid_t)?
        if FileManager.default.fileExists(atPath: databasePath) {
            // Fold the WAL into the main file so the kept copy is complete on its own.
            let current = try DatabaseQueue(path: databasePath)
            try current.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try current.close()
            var status = stat()
            if stat(databasePath, &status) == 0 { owner = (status.st_uid, status.st_gid) }
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            kept = "\(databasePath).before-restore-\(stamp)"
            guard rename(databasePath, kept!) == 0 else { throw StoreError.io("cannot keep the current store: \(String(cString: strerror(errno)))") }
            for suffix in ["-wal", "-shm"] { unlink(databasePath + suffix) }
        }
        let incoming = databasePath + ".restoring"
        unlink(incoming)
        do {
            try FileManager.default.copyItem(atPath: backup, toPath: incoming)
            chmod(incoming, 0o600)
            if let (uid, gid) = owner { _ = chown(incoming, uid, gid) }
            guard rename(incoming, databasePath) == 0 else { throw StoreError.io("cannot put the backup in place: \(String(cString: strerror(errno)))") }
        } catch {
            unlink(incoming)
            if let kept { _ = rename(kept, databasePath) }
            throw error
        }
        return (info, kept)
    }

    /// Held (shared) by every process that serves from the store for its whole life, taken
    /// before the store is opened, so a restore can tell that the store is in use and a
    /// server cannot start in the middle of one. The descriptor is deliberately never closed.
    public static func holdInUse(_ databasePath: String) throws {
        try FileManager.default.createDirectory(atPath: (databasePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = try lockInUse(databasePath, exclusive: false)
    }

    private static func lockInUse(_ databasePath: String, exclusive: Bool) throws -> Int32 {
        let lockPath = databasePath + ".in-use.lock"
        // Read-only and 0644: root's jarvisctl and the services' user can both take it, whoever made it.
        let fd = open(lockPath, O_CREAT | O_RDONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        guard flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 else {
            close(fd)
            throw StoreError.io(exclusive
                ? "the store is in use: stop jarvis-fcgi and jarvis-sse first (systemctl stop jarvis-fcgi jarvis-sse)"
                : "a restore is replacing the store: try again when it is done")
        }
        return fd
    }

    static func removeDatabaseFiles(_ path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
    }
}

/// Daily copies in a folder, newest kept: `jarvis-YYYYMMDD-HHMMSS.db`.
public struct BackupRotation: Sendable {
    public let folder: String
    public let keep: Int
    static let prefix = "jarvis-"

    public init(folder: String, keep: Int) {
        self.folder = folder
        self.keep = keep
    }

    /// Backup files, newest first.
    public func files() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix(Self.prefix) && $0.hasSuffix(".db") }.sorted(by: >).map { folder + "/" + $0 }
    }

    /// When the newest backup was written, if any.
    public func newest() -> Date? {
        files().first.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] as? Date }
    }

    /// Writes a new backup, then deletes all but the newest `keep`.
    public func run(_ database: AppDatabase, now: Date = Date()) throws -> BackupInfo {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let info = try database.backup(to: "\(folder)/\(Self.prefix)\(formatter.string(from: now)).db")
        for old in files().dropFirst(keep) { unlink(old) }
        return info
    }
}
