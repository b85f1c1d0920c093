import Foundation

/// A mount of an existing container, as the engine reports it (`Mounts` of an inspect or a list).
public struct ObservedMount: Sendable, Equatable {
    /// `volume`, `bind`, `tmpfs`, …
    public var type: String
    /// The volume's engine name (volumes only).
    public var name: String?
    public var destination: String
    public var readWrite: Bool

    public init(type: String, name: String?, destination: String, readWrite: Bool) {
        self.type = type
        self.name = name
        self.destination = destination
        self.readWrite = readWrite
    }
}

/// Which volumes a recreated container takes over from the container it replaces.
///
/// Compose v2 (`pkg/compose/create.go`, `buildContainerMountOptions` with an inherited
/// container) mounts the old container's volume again at every path the image declares
/// as a `VOLUME` and at every `- /path` (anonymous) entry of the service; mounts the file
/// declares with a source win. Without this a database keeps its data in a fresh, empty
/// volume after any configuration change. Binds are never carried: a host path must be
/// written in the file (and reviewed as host access), not survive by inheritance.
public enum AnonymousVolumes {
    public static func inherited(by service: ComposeService, from old: [ObservedMount], imageVolumes: Set<String>) -> [ObservedMount] {
        let declaredVolumes = Set(imageVolumes.map(clean))
        let anonymousTargets = Set(service.volumes.filter { $0.kind == .volume && $0.source == nil }.map { clean($0.target) })
        var explicitTargets = Set(service.volumes.filter { !($0.kind == .volume && $0.source == nil) }.map { clean($0.target) })
        for entry in service.tmpfs { explicitTargets.insert(clean(String(entry.split(separator: ":", maxSplits: 1)[0]))) }
        var seen = Set<String>()
        var carried: [ObservedMount] = []
        for mount in old where mount.type == "volume" && mount.name != nil {
            var mount = mount
            mount.destination = clean(mount.destination)
            guard !explicitTargets.contains(mount.destination), seen.insert(mount.destination).inserted else { continue }
            if declaredVolumes.contains(mount.destination) || anonymousTargets.contains(mount.destination) { carried.append(mount) }
        }
        return carried.sorted { $0.destination < $1.destination }
    }

    /// Paths as the engine compares them: no trailing slash, no `.` or `..` segments.
    static func clean(_ path: String) -> String {
        let standard = (path as NSString).standardizingPath
        return standard.isEmpty ? path : standard
    }
}
