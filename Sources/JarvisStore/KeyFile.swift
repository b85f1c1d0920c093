import Crypto
import Foundation

/// A random key kept in a 0600 file, created on first use. Several processes
/// read the same file; creation is atomic (link of a temp file) so they agree.
/// The store needs one for the audit chain; `SecretFile` in JarvisCore is this.
public enum KeyFile {
    /// The key at `path`, created when there is no file yet.
    public static func loadOrCreate(path: String, byteCount: Int = 32) throws -> [UInt8] {
        if let existing = try load(path: path, byteCount: byteCount) { return existing }
        _ = try install(random(byteCount), at: path)
        // Whoever linked first won; everyone uses that file.
        guard let stored = try load(path: path, byteCount: byteCount) else {
            throw StoreError.io("secret file \(path) is unreadable or has the wrong size")
        }
        return stored
    }

    /// The key at `path`, nil when there is no such file; a file of the wrong size is an error.
    public static func load(path: String, byteCount: Int = 32) throws -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path), data.count == byteCount else {
            throw StoreError.io("secret file \(path) is unreadable or has the wrong size")
        }
        return [UInt8](data)
    }

    static func random(_ byteCount: Int) -> [UInt8] {
        SymmetricKey(size: SymmetricKeySize(bitCount: byteCount * 8)).withUnsafeBytes { [UInt8]($0) }
    }

    /// Writes `key` to `path` (0600) unless a file is there already; true when
    /// this call created it, false when someone else's file was there first.
    static func install(_ key: [UInt8], at path: String) throws -> Bool {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Unique per caller: two threads of one process may race here too.
        let temp = path + ".tmp.\(getpid()).\(UUID().uuidString.prefix(8))"
        let fd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io("cannot create \(temp): \(String(cString: strerror(errno)))") }
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress, key.count) }
        fsync(fd)
        close(fd)
        defer { unlink(temp) }
        guard written == key.count else { throw StoreError.io("cannot write \(temp)") }
        if link(temp, path) == 0 { return true }
        guard errno == EEXIST else { throw StoreError.io("cannot create \(path): \(String(cString: strerror(errno)))") }
        return false
    }
}
