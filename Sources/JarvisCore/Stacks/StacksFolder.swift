import Compose
import Foundation

/// The stacks folder: one folder per stack, named as its Compose project
/// (Dockge's layout). Every path a request names is checked to stay inside.
public struct StacksFolder: Sendable {
    public let root: String
    /// Names a stack may not take: the local stacks folder also holds the folders of other hosts' stacks.
    public let reserved: Set<String>

    public init(root: String, reserved: Set<String> = []) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.reserved = reserved
    }

    /// Compose project names: lowercase letters, digits, `-` and `_`, starting with a letter or digit.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, name.count <= 64, first.isASCII, first.isLowercase || first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// The folder of stack `name`, refused when the name could leave the stacks folder.
    public func folder(_ name: String) throws -> String {
        guard Self.isValidName(name) else {
            throw JarvisError.invalidField("name", "a stack name is 1 to 64 lowercase letters, digits, - or _, starting with a letter or digit")
        }
        let folder = root + "/" + name
        // A symlinked stack folder pointing elsewhere is not ours to write through.
        if let resolved = Paths.realPath(folder), let base = Paths.realPath(root), !resolved.hasPrefix(base + "/") {
            throw JarvisError(403, "path_outside_stacks", "stack \(name) is a link that leads outside the stacks folder")
        }
        return folder
    }

    /// Folder names under the root that hold a Compose file (hidden folders are Jarvis's own).
    public func scan() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { name in
            guard !name.hasPrefix("."), !reserved.contains(name), Self.isValidName(name), let folder = try? folder(name) else { return false }
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) && isDirectory.boolValue
                && ComposeLoader.composeFile(in: folder) != nil
        }.sorted()
    }

    /// True when `path` (a project's working directory) is inside the stacks folder.
    public func contains(_ path: String) -> Bool {
        let base = Paths.realPath(root) ?? root
        let target = Paths.realPath(path) ?? path
        return target.hasPrefix(base + "/") || path.hasPrefix(root + "/")
    }

    /// A file of the stack; links and hard links are refused (a container may have planted them).
    static func readInside(_ folder: String, _ file: String) throws -> String? {
        try SafeFile.read(folder, file).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes `text` to `folder/file` atomically, keeping the previous content as `file.bak`, never through a link.
    static func write(_ text: String, to folder: String, _ file: String) throws {
        try SafeFile.write(Data(text.utf8), to: folder, file, backup: true)
    }
}
