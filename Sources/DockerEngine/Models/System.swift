/// `GET /version`.
public struct SystemVersion: Codable, Sendable {
    public let version: String
    public let apiVersion: String
    public let minAPIVersion: String?
    public let os: String?
    public let arch: String?
    public let kernelVersion: String?

    enum CodingKeys: String, CodingKey {
        case version = "Version", apiVersion = "ApiVersion", minAPIVersion = "MinAPIVersion"
        case os = "Os", arch = "Arch", kernelVersion = "KernelVersion"
    }
}

/// `GET /info`, the fields a console shows.
public struct SystemInfo: Codable, Sendable {
    public let id: String?
    public let name: String?
    public let serverVersion: String?
    public let containers: Int?
    public let containersRunning: Int?
    public let containersPaused: Int?
    public let containersStopped: Int?
    public let images: Int?
    public let cpus: Int?
    public let memTotal: Int64?
    public let operatingSystem: String?
    public let kernelVersion: String?
    public let driver: String?
    public let dockerRootDir: String?
    public let swarm: Swarm?

    /// The `Swarm` part: whether this engine is in a swarm.
    public struct Swarm: Codable, Sendable {
        /// `inactive`, `pending`, `active`, `error` or `locked`.
        public let localNodeState: String?
        enum CodingKeys: String, CodingKey { case localNodeState = "LocalNodeState" }
    }

    enum CodingKeys: String, CodingKey {
        case id = "ID", name = "Name", serverVersion = "ServerVersion", containers = "Containers"
        case containersRunning = "ContainersRunning", containersPaused = "ContainersPaused"
        case containersStopped = "ContainersStopped", images = "Images", cpus = "NCPU", memTotal = "MemTotal"
        case operatingSystem = "OperatingSystem", kernelVersion = "KernelVersion", driver = "Driver"
        case dockerRootDir = "DockerRootDir", swarm = "Swarm"
    }
}

/// `GET /system/df`, summed per kind.
public struct DiskUsage: Decodable, Sendable {
    public let layersSize: Int64?
    public let images: [ImageUsage]?
    public let containers: [ContainerUsage]?
    public let volumes: [VolumeUsage]?
    public let buildCache: [BuildCacheUsage]?

    enum CodingKeys: String, CodingKey {
        case layersSize = "LayersSize", images = "Images", containers = "Containers", volumes = "Volumes", buildCache = "BuildCache"
    }

    public struct ImageUsage: Decodable, Sendable {
        public let size: Int64?
        public let sharedSize: Int64?
        public let containers: Int?
        enum CodingKeys: String, CodingKey { case size = "Size", sharedSize = "SharedSize", containers = "Containers" }
    }

    public struct ContainerUsage: Decodable, Sendable {
        public let sizeRw: Int64?
        enum CodingKeys: String, CodingKey { case sizeRw = "SizeRw" }
    }

    public struct VolumeUsage: Decodable, Sendable {
        public let usageData: UsageData?
        enum CodingKeys: String, CodingKey { case usageData = "UsageData" }
        public struct UsageData: Decodable, Sendable {
            public let size: Int64?
            enum CodingKeys: String, CodingKey { case size = "Size" }
        }
    }

    public struct BuildCacheUsage: Decodable, Sendable {
        public let size: Int64?
        enum CodingKeys: String, CodingKey { case size = "Size" }
    }
}

/// `GET /networks/{id}`, what validation and the UI need.
public struct NetworkSummary: Decodable, Sendable {
    public let id: String
    public let name: String
    public let driver: String?
    public let scope: String?
    public let labels: [String: String]?

    enum CodingKeys: String, CodingKey { case id = "Id", name = "Name", driver = "Driver", scope = "Scope", labels = "Labels" }
}

/// `GET /volumes` entries.
public struct VolumeSummary: Decodable, Sendable {
    public let name: String
    public let driver: String?
    public let mountpoint: String?
    public let labels: [String: String]?

    enum CodingKeys: String, CodingKey { case name = "Name", driver = "Driver", mountpoint = "Mountpoint", labels = "Labels" }
}

/// `GET /images/{name}/json`, what validation needs.
public struct ImageInspect: Decodable, Sendable {
    public let id: String
    public let repoTags: [String]?
    public let repoDigests: [String]?
    public let size: Int64?
    public let config: Config?
    /// The platform the image is for (an update check resolves a registry's index to it).
    public var os: String? = nil
    public var architecture: String? = nil
    public var variant: String? = nil

    enum CodingKeys: String, CodingKey {
        case id = "Id", repoTags = "RepoTags", repoDigests = "RepoDigests", size = "Size", config = "Config"
        case os = "Os", architecture = "Architecture", variant = "Variant"
    }

    public struct Config: Decodable, Sendable {
        public let exposedPorts: [String: EmptyObject]?
        public let cmd: [String]?
        enum CodingKeys: String, CodingKey { case exposedPorts = "ExposedPorts", cmd = "Cmd" }
    }
}

/// `{}` values in engine maps (exposed ports, volumes).
public struct EmptyObject: Codable, Sendable {}
