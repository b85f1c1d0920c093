import Foundation

/// Just enough of the ustar format to turn one uploaded file into a build context.
enum TarFile {
    /// Replaces the file at `path` with a tar archive holding it as `name`; returns the archive's path.
    static func wrapSingleFile(_ path: String, as name: String) throws -> String {
        guard let contents = FileManager.default.contents(atPath: path) else { throw JarvisError(500, "upload_failed", "the upload vanished") }
        let archive = path + ".tar"
        var bytes = header(name: name, size: contents.count)
        bytes += [UInt8](contents)
        bytes += [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512 + 1024)
        guard FileManager.default.createFile(atPath: archive, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw JarvisError(500, "upload_failed", "cannot write the build context")
        }
        unlink(path)
        return archive
    }

    /// A folder as a tar archive (a Compose build context), made by the system's `tar`.
    static func create(_ archive: String, from folder: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/tar")
        process.arguments = ["-C", folder, "-cf", archive, "."]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            unlink(archive)
            throw JarvisError(500, "build_context", "cannot pack the build context \(folder): \(message.prefix(300))")
        }
    }

    static func header(name: String, size: Int) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            put(String(String(value, radix: 8).suffix(width - 1)).leftPadded(to: width - 1), at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(Int(Date().timeIntervalSince1970), at: 136, width: 12)
        put("        ", at: 148, width: 8)  // checksum counts as spaces while summing
        block[156] = UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(String(String(sum, radix: 8)).leftPadded(to: 6), at: 148, width: 6)
        block[154] = 0
        block[155] = UInt8(ascii: " ")
        return block
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
