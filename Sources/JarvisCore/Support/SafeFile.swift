import Foundation

/// Files in folders a container may reach (a stack's folder): read and
/// written without following links. A planted `compose.yaml.bak -> /etc/x`
/// or a hard link to a file elsewhere is refused, never written through;
/// writes go to a fresh `O_EXCL` file in the same folder, then `rename`.
public enum SafeFile {
    /// The file's bytes; nil when it does not exist. Links, hard links and non-regular files are refused.
    public static func read(_ folder: String, _ name: String) throws -> Data? {
        let directory = try openFolder(folder)
        defer { close(directory) }
        return try read(in: directory, name, shown: name)
    }

    /// Replaces `folder/name` with `data` atomically; with `backup`, the previous content is kept as `name.bak`.
    public static func write(_ data: Data, to folder: String, _ name: String, backup: Bool = false) throws {
        let directory = try openFolder(folder)
        defer { close(directory) }
        let old = try read(in: directory, name, shown: name)
        if old == data { return }
        if backup, let old { try replace(in: directory, name + ".bak", with: old) }
        try replace(in: directory, name, with: data)
    }

    private static func openFolder(_ folder: String) throws -> Int32 {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot open the folder \(folder)", errno) }
        return fd
    }

    private static func read(in directory: Int32, _ name: String, shown: String) throws -> Data? {
        let fd = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            if errno == ELOOP { throw refusal("\(shown) is a symbolic link") }
            throw failure("cannot read \(shown)", errno)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("cannot read \(shown)", errno) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw refusal("\(shown) is not a regular file") }
        guard info.st_nlink == 1 else { throw refusal("\(shown) has other hard links") }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = Foundation.read(fd, &buffer, buffer.count)
            if count < 0 { throw failure("cannot read \(shown)", errno) }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    /// A new file with a random name (`O_CREAT|O_EXCL|O_NOFOLLOW`), renamed over `name`: a link at `name` is replaced, not followed.
    private static func replace(in directory: Int32, _ name: String, with data: Data) throws {
        let temporary = ".\(name).\(UInt64.random(in: 0...UInt64.max)).saving"
        let fd = openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot save \(name)", errno) }
        var written = 0
        let ok = data.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let count = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if count <= 0 { return false }
                written += count
            }
            return fsync(fd) == 0
        }
        let code = errno
        close(fd)
        guard ok, renameat(directory, temporary, directory, name) == 0 else {
            let reason = ok ? errno : code
            unlinkat(directory, temporary, 0)
            throw failure("cannot save \(name)", reason)
        }
    }

    private static func refusal(_ message: String) -> JarvisError {
        JarvisError(403, "unsafe_file", message + ": Jarvis neither reads nor writes through it")
    }

    private static func failure(_ message: String, _ code: Int32) -> JarvisError {
        JarvisError(500, "write_failed", "\(message): \(String(cString: strerror(code)))")
    }
}
