/// `GET /volumes/{name}`: a volume as the engine keeps it.
public struct VolumeInspect: Codable, Sendable {
    public let name: String
    public let driver: String
    public let mountpoint: String?
    public let createdAt: String?
    public let labels: [String: String]?
    public let scope: String?
    public let options: [String: String]?

    enum CodingKeys: String, CodingKey {
        case name = "Name", driver = "Driver", mountpoint = "Mountpoint", createdAt = "CreatedAt", labels = "Labels"
        case scope = "Scope", options = "Options"
    }
}

/// A container and the named volumes it mounts (`GET /containers/json?all=1`, `Mounts`).
public struct ContainerMounts: Decodable, Sendable {
    public let id: String
    public let names: [String]
    public let state: String
    public let labels: [String: String]?
    public let mounts: [Mount]

    /// One mount of a listed container; `name` is set for volumes.
    public struct Mount: Decodable, Sendable {
        public let type: String?
        public let name: String?
        public let destination: String?
        public let rw: Bool?
        enum CodingKeys: String, CodingKey { case type = "Type", name = "Name", destination = "Destination", rw = "RW" }
    }

    /// The name without the leading slash the engine puts there.
    public var name: String { (names.first ?? id).trimmingPrefix("/") }

    enum CodingKeys: String, CodingKey { case id = "Id", names = "Names", state = "State", labels = "Labels", mounts = "Mounts" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        names = try c.decodeIfPresent([String].self, forKey: .names) ?? []
        state = try c.decodeIfPresent(String.self, forKey: .state) ?? ""
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels)
        mounts = try c.decodeIfPresent([Mount].self, forKey: .mounts) ?? []
    }
}

/// What `POST /volumes/prune`, `/containers/prune` and `/build/prune` report.
public struct PruneReport: Decodable, Sendable {
    /// Volume names, container ids or build cache ids removed.
    public let deleted: [String]
    public let spaceReclaimed: Int64

    enum CodingKeys: String, CodingKey {
        case volumes = "VolumesDeleted", containers = "ContainersDeleted", caches = "CachesDeleted", space = "SpaceReclaimed"
    }

    public init(deleted: [String], spaceReclaimed: Int64) {
        self.deleted = deleted
        self.spaceReclaimed = spaceReclaimed
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        deleted = (try c.decodeIfPresent([String].self, forKey: .volumes) ?? [])
            + (try c.decodeIfPresent([String].self, forKey: .containers) ?? [])
            + (try c.decodeIfPresent([String].self, forKey: .caches) ?? [])
        spaceReclaimed = try c.decodeIfPresent(Int64.self, forKey: .space) ?? 0
    }
}

/// `X-Docker-Container-Path-Stat` of `HEAD /containers/{id}/archive`: the path itself, never followed.
public struct PathStat: Decodable, Sendable {
    public let name: String
    public let size: Int64
    /// Go's `os.FileMode` bits: 1<<31 directory, 1<<27 symlink.
    public let mode: UInt32
    public let mtime: String?
    public let linkTarget: String?

    public var isDirectory: Bool { mode & (1 << 31) != 0 }
    public var isSymlink: Bool { mode & (1 << 27) != 0 }
}

/// `GET /system/df` with what a console shows per kind and per item.
public struct DiskUsageReport: Codable, Sendable {
    public let layersSize: Int64?
    public let images: [Image]?
    public let containers: [Container]?
    public let volumes: [Volume]?
    public let buildCache: [BuildCache]?

    enum CodingKeys: String, CodingKey {
        case layersSize = "LayersSize", images = "Images", containers = "Containers", volumes = "Volumes", buildCache = "BuildCache"
    }

    public struct Image: Codable, Sendable {
        public let id: String
        public let repoTags: [String]?
        public let size: Int64?
        public let sharedSize: Int64?
        public let containers: Int?
        enum CodingKeys: String, CodingKey { case id = "Id", repoTags = "RepoTags", size = "Size", sharedSize = "SharedSize", containers = "Containers" }
    }

    public struct Container: Codable, Sendable {
        public let id: String
        public let names: [String]?
        public let state: String?
        public let sizeRw: Int64?
        enum CodingKeys: String, CodingKey { case id = "Id", names = "Names", state = "State", sizeRw = "SizeRw" }
    }

    public struct Volume: Codable, Sendable {
        public let name: String
        public let usageData: UsageData?
        enum CodingKeys: String, CodingKey { case name = "Name", usageData = "UsageData" }
        public struct UsageData: Codable, Sendable {
            /// -1 when the driver cannot tell.
            public let size: Int64?
            public let refCount: Int?
            enum CodingKeys: String, CodingKey { case size = "Size", refCount = "RefCount" }
        }
    }

    public struct BuildCache: Codable, Sendable {
        public let id: String
        public let size: Int64?
        public let inUse: Bool?
        public let shared: Bool?
        enum CodingKeys: String, CodingKey { case id = "ID", size = "Size", inUse = "InUse", shared = "Shared" }
    }
}

private extension String {
    func trimmingPrefix(_ prefix: String) -> String { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self }
}
