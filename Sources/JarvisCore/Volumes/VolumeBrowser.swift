import DockerEngine
import Foundation
import Logging

/// One entry of a folder listing.
public struct VolumeFileEntry: Encodable, Sendable {
    public let name: String
    public let type: TarEntry.Kind
    /// A file's bytes; for a folder, the bytes of everything under it.
    public let size: Int64
    public let mode: String
    public let modified: Int64
    /// Where a symlink points, shown and never followed.
    public let linkTarget: String?
}

/// A folder of a volume.
public struct VolumeFolder: Encodable, Sendable {
    public let volume: String
    public let path: String
    public let entries: [VolumeFileEntry]
    /// More than `maxEntries` children: the rest are left out.
    public let truncated: Bool
}

/// Browses a volume without an agent and without running anything: Jarvis imports a tiny
/// image of its own (an empty folder, never pulled), creates but never starts a container
/// mounting the volume, and uses the engine's archive API on it. The container goes after
/// every operation, on failure too; `sweep` removes any a crash left behind.
public struct VolumeBrowser: Sendable {
    let docker: DockerClient
    public static let image = "jarvis/volume-browser"
    public static let tag = "1"
    public static let label = "io.jarvis.volume-browser"
    static let namePrefix = "jarvis-volume-browser-"
    public static let maxEntries = 5000

    public init(docker: DockerClient) { self.docker = docker }

    public static func isHelper(_ name: String) -> Bool { name.hasPrefix(namePrefix) }

    /// The helper image's root file system: the mount point and a note saying what it is.
    static var rootArchive: [UInt8] {
        let note = Array("Jarvis's volume browser: created, never started, removed after each use.\n".utf8)
        var tar = TarWriter.header(name: "volume/", size: 0, mode: 0o755, type: UInt8(ascii: "5"), mtime: 0)
        tar += TarWriter.header(name: "README", size: Int64(note.count), mode: 0o644, mtime: 0) + note + TarWriter.padding(Int64(note.count))
        return tar + TarWriter.end
    }

    func ensureImage() async throws {
        if (try? await docker.image("\(Self.image):\(Self.tag)")) != nil { return }
        try await docker.importImage(Self.rootArchive, repository: Self.image, tag: Self.tag,
                                     changes: ["LABEL \(Self.label)=1", "CMD [\"/README\"]"])
    }

    /// Creates the helper (read-only mount unless `writable`), runs `body`, removes the helper whatever happened.
    func withHelper<T>(_ volume: String, writable: Bool, _ body: (String) async throws -> T) async throws -> T {
        let id = try await createHelper(volume, writable: writable)
        do {
            let result = try await body(id)
            await Self.remove(docker, id)
            return result
        } catch {
            await Self.remove(docker, id)
            throw error
        }
    }

    /// The helper's create body: the volume at `/volume`, no network, nothing copied into the volume.
    /// Sent as the caller (admins) or with an operator's rights (viewers browse read-only too), so the
    /// host-access policy refuses volumes with host-reaching options to everyone but admins.
    func createHelper(_ volume: String, writable: Bool) async throws -> String {
        try await withEngineErrors {
            try await ensureImage()
            let body: [String: Any] = [
                "Image": "\(Self.image):\(Self.tag)", "Cmd": ["/README"], "NetworkDisabled": true,
                "Labels": [Self.label: "1", "\(Self.label).volume": volume],
                "HostConfig": ["NetworkMode": "none", "Mounts": [[
                    "Type": "volume", "Source": volume, "Target": VolumePath.mountPoint, "ReadOnly": !writable,
                    "VolumeOptions": ["NoCopy": true],
                ] as [String: Any]]] as [String: Any],
            ]
            let actor = HostAccess.actor
            let helperActor = actor.map { $0.role == .admin ? $0 : EngineActor(userID: $0.role == .viewer ? nil : $0.userID,
                                                                                 username: $0.username, role: .operator_) }
            return try await HostAccess.acting(as: helperActor) {
                try await docker.createContainer(name: Self.namePrefix + UUID().uuidString.prefix(12).lowercased(), body: body)
            }
        }
    }

    static func remove(_ docker: DockerClient, _ id: String) async {
        try? await docker.removeContainer(id, force: true)
    }

    /// Removes helpers older than an hour (a process that died mid-operation left them).
    public static func sweep(_ docker: DockerClient, logger: Logger? = nil) async {
        guard let helpers = try? await docker.containers(ListContainersOptions(all: true, filters: ["label": [label]])) else { return }
        let cutoff = Int64(Date().timeIntervalSince1970) - 3600
        for helper in helpers where helper.created < cutoff { await remove(docker, helper.id) }
    }

    /// Checks every component of `path` in the helper: each must exist and none may be a symlink
    /// (the engine would follow it, possibly out of the volume). Returns the last one's stat.
    func resolve(_ id: String, _ path: VolumePath) async throws -> PathStat? {
        var last: PathStat?
        for prefix in path.prefixes {
            let stat: PathStat
            do {
                stat = try await docker.archiveStat(id, path: prefix.inContainer)
            } catch let error as EngineError where error.code == .notFound {
                throw JarvisError(404, "path_not_found", "path: \(prefix) does not exist in the volume").field("path")
            }
            if stat.isSymlink {
                throw JarvisError(400, "path_is_symlink", "path: \(prefix) is a symlink to \(stat.linkTarget ?? "?"); symlinks are shown, never followed")
                    .field("path")
            }
            last = stat
        }
        return last
    }

    /// The folder's entries (one level), with each subfolder's total size.
    public func list(_ volume: String, _ path: VolumePath) async throws -> VolumeFolder {
        try await withHelper(volume, writable: false) { id in
            try await withEngineErrors {
                if let stat = try await resolve(id, path), !stat.isDirectory {
                    throw JarvisError(400, "not_a_folder", "path: \(path) is a file; download it instead").field("path")
                }
                let stream = try await docker.archiveStream(id, path: path.inContainer)
                var scanner = TarScanner()
                var children: [String: (entry: TarEntry, size: Int64)] = [:]
                var order: [String] = []
                var truncated = false
                while let chunk = try await stream.next() {
                    for entry in try scanner.feed(chunk) {
                        // The archive's first component is the folder itself; then "<child>/…".
                        let parts = entry.name.split(separator: "/").dropFirst().map(String.init)
                        guard let child = parts.first else { continue }
                        if parts.count == 1 {
                            if children[child] == nil {
                                guard order.count < Self.maxEntries else { truncated = true; continue }
                                order.append(child)
                            }
                            children[child] = (entry, (children[child]?.size ?? 0) + entry.size)
                        } else if let known = children[child] {
                            children[child] = (known.entry, known.size + entry.size)
                        }
                    }
                    if scanner.finished { break }
                }
                stream.cancel()
                let entries = order.compactMap { name -> VolumeFileEntry? in
                    guard let (entry, size) = children[name] else { return nil }
                    return VolumeFileEntry(name: name, type: entry.kind, size: size, mode: String(entry.mode & 0o7777, radix: 8),
                                           modified: entry.mtime, linkTarget: entry.linkTarget)
                }.sorted { ($0.type == .directory ? 0 : 1, $0.name) < ($1.type == .directory ? 0 : 1, $1.name) }
                return VolumeFolder(volume: volume, path: path.description, entries: entries, truncated: truncated)
            }
        }
    }

    /// A file or folder as a tar stream. The helper stays until the stream ends: `finish` removes it.
    public func download(_ volume: String, _ path: VolumePath) async throws -> (stream: EngineByteStream, finish: @Sendable () async -> Void) {
        let id = try await createHelper(volume, writable: false)
        do {
            let stream = try await withEngineErrors {
                _ = try await resolve(id, path)
                return try await self.docker.archiveStream(id, path: path.inContainer)
            }
            let client = docker
            return (stream, { stream.cancel(); await Self.remove(client, id) })
        } catch {
            await Self.remove(docker, id)
            throw error
        }
    }

    /// Unpacks a tar (a checked upload, or one file wrapped by `TarWriter.wrap`) into the folder `path`.
    public func upload(_ volume: String, _ path: VolumePath, archive: String) async throws {
        try await withHelper(volume, writable: true) { id in
            try await withEngineErrors {
                if let stat = try await resolve(id, path), !stat.isDirectory {
                    throw JarvisError(400, "not_a_folder", "path: \(path) is a file; upload into a folder").field("path")
                }
                try await docker.putArchive(id, path: path.inContainer, archive: archive)
            }
        }
    }

    /// A tar from a user, before it reaches the engine: every member stays inside the target folder
    /// (no absolute names, no `..`, symlinks and hard links that point within). Returns the member count.
    public static func checkUpload(_ archive: String) throws -> Int {
        let fd = open(archive, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw JarvisError(500, "upload_failed", "the upload vanished") }
        defer { close(fd) }
        var scanner = TarScanner()
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        var count = 0
        while !scanner.finished {
            let read = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            guard read > 0 else { break }
            for entry in try scanner.feed(buffer[0..<read]) {
                count += 1
                if let problem = escapes(entry) {
                    throw JarvisError(400, "path_outside_volume", "file: the archive member \(entry.name.prefix(200)) \(problem)").field("file")
                }
            }
        }
        return count
    }

    static func escapes(_ entry: TarEntry) -> String? {
        if entry.name.hasPrefix("/") { return "has an absolute name" }
        let parts = entry.name.split(separator: "/")
        if parts.contains("..") { return "climbs out with .." }
        guard let target = entry.linkTarget else { return nil }
        if entry.kind == .hardlink { return target.split(separator: "/").contains("..") || target.hasPrefix("/") ? "links outside the folder" : nil }
        if target.hasPrefix("/") { return "is a symlink to the absolute path \(target.prefix(200))" }
        // The symlink's folder, then its target's components: never above the archive's root.
        var depth = parts.count - 1
        for part in target.split(separator: "/") {
            if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
            if depth < 0 { return "is a symlink pointing out of the folder" }
        }
        return nil
    }
}
