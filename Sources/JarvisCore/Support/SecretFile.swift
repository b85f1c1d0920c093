import Crypto
import Foundation

/// A random key kept in a 0600 file, created on first use. Both processes read
/// the same file; creation is atomic (link of a temp file) so they agree.
public enum SecretFile {
    public static func loadOrCreate(path: String, byteCount: Int = 32) throws -> [UInt8] {
        if let existing = FileManager.default.contents(atPath: path), existing.count == byteCount {
            return [UInt8](existing)
        }
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let key = SymmetricKey(size: SymmetricKeySize(bitCount: byteCount * 8)).withUnsafeBytes { [UInt8]($0) }
        let temp = path + ".tmp.\(getpid())"
        let fd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ConfigError("cannot create \(temp): \(String(cString: strerror(errno)))") }
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress, byteCount) }
        fsync(fd)
        close(fd)
        defer { unlink(temp) }
        guard written == byteCount else { throw ConfigError("cannot write \(temp)") }
        if link(temp, path) != 0 && errno != EEXIST {
            throw ConfigError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        // Whoever linked first won; everyone uses that file.
        guard let stored = FileManager.default.contents(atPath: path), stored.count == byteCount else {
            throw ConfigError("secret file \(path) is unreadable or has the wrong size")
        }
        return [UInt8](stored)
    }
}
