import Foundation

/// A path inside a volume, given by a client: `/`, `logs/app`, `/logs/app/`. Only plain names
/// survive: no `..` or `.`, no NUL, no backslash tricks; the result can only name something
/// under the volume's mount point in the helper container.
public struct VolumePath: Sendable, Equatable, CustomStringConvertible {
    /// The names from the volume's root down; empty for the root.
    public let components: [String]

    /// Where the helper container mounts the volume.
    public static let mountPoint = "/volume"

    public init(_ text: String?, field: String = "path") throws {
        let text = text ?? ""
        guard text.utf8.count <= 4096 else { throw JarvisError.invalidField(field, "is longer than 4096 bytes") }
        guard !text.contains("\0") else { throw JarvisError.invalidField(field, "contains a NUL byte") }
        var parts: [String] = []
        for part in text.split(separator: "/", omittingEmptySubsequences: true) {
            if part == ".." || part == "." {
                throw JarvisError(400, "path_outside_volume", "\(field): \"\(text.prefix(200))\" may not contain . or .. (paths stay inside the volume)")
                    .field(field)
            }
            guard part.utf8.count <= 255 else { throw JarvisError.invalidField(field, "a name is longer than 255 bytes") }
            parts.append(String(part))
        }
        components = parts
    }

    init(components: [String]) { self.components = components }

    /// `/a/b` as the user sees it (the volume's root is `/`).
    public var description: String { "/" + components.joined(separator: "/") }

    /// The path in the helper container.
    public var inContainer: String { Self.mountPoint + (components.isEmpty ? "" : "/" + components.joined(separator: "/")) }

    /// Each path from the first component down to this one: the engine follows symlinks in
    /// every component but the last, so each of them is checked before use.
    public var prefixes: [VolumePath] { (0..<components.count).map { VolumePath(components: Array(components[0...$0])) } }

    public var parent: VolumePath { VolumePath(components: Array(components.dropLast())) }
    public var name: String { components.last ?? "" }

    public func appending(_ name: String) -> VolumePath { VolumePath(components: components + [name]) }
}
