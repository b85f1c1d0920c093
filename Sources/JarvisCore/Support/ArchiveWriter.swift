import CZlib
import Foundation

/// Writes an archive to disk as it streams in, plain or gzip-compressed
/// (level 1: image layers are mostly compressed already, speed matters more).
final class ArchiveWriter {
    private let fd: Int32
    private var gz: gzFile?
    private(set) var written: Int64 = 0

    init(path: String, gzip: Bool) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TaskFailure("cannot create \(path): \(String(cString: strerror(errno)))") }
        if gzip {
            gz = gzdopen(dup(fd), "wb1")
            guard gz != nil else { close(fd); throw TaskFailure("cannot start gzip for \(path)") }
            gzbuffer(gz, 256 << 10)
        }
    }

    deinit {
        if let gz { gzclose(gz) }
        close(fd)
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            if let gz {
                guard gzwrite(gz, buffer.baseAddress, UInt32(buffer.count)) == Int32(buffer.count) else {
                    throw TaskFailure("writing the compressed archive failed (disk full?)")
                }
            } else {
                var offset = 0
                while offset < buffer.count {
                    let count = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    guard count > 0 else { throw TaskFailure("writing the archive failed: \(String(cString: strerror(errno)))") }
                    offset += count
                }
            }
        }
        written += Int64(bytes.count)
    }

    /// Flushes everything and syncs it to disk.
    func finish() throws {
        if let gz {
            self.gz = nil
            guard gzclose(gz) == Z_OK else { throw TaskFailure("finishing the compressed archive failed") }
        }
        fsync(fd)
    }
}
