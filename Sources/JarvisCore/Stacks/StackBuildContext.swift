import Foundation

extension TarFile {
    /// Adds a file holding `contents` to the archive as `name` (by the system's `tar -r`); returns `name`.
    /// For `dockerfile_inline`: the classic builder reads its Dockerfile from the context.
    static func append(_ archive: String, name: String, contents: String) throws -> String {
        let folder = NSTemporaryDirectory() + "jarvis-inline-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        guard FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(contents.utf8)) else {
            throw JarvisError(500, "build_context", "cannot write the inline Dockerfile")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/tar")
        process.arguments = ["-C", folder, "-rf", archive, name]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw JarvisError(500, "build_context", "cannot add the inline Dockerfile to the build context") }
        return name
    }
}
