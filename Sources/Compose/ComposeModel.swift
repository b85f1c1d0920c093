import Foundation

/// A Compose project in canonical form: every short syntax expanded, every
/// variable interpolated, relative paths made absolute. Codable so that the
/// config hash is a hash of this form.
public struct ComposeProject: Sendable, Equatable {
    public var name: String
    public var workingDir: String
    public var configFiles: [String]
    /// Active services (profiles applied), by name.
    public var services: [String: ComposeService]
    /// Services switched off by a profile that is not enabled.
    public var disabledServices: [String]
    public var networks: [String: NetworkDefinition]
    public var volumes: [String: VolumeDefinition]
    public var secrets: [String: FileObject]
    public var configs: [String: FileObject]
    public var warnings: [ComposeIssue]
    /// Settings that reach past the container into the host: host paths, privileges, the host's network.
    public var hostAccess: [ComposeIssue] = []
    /// The file's top-level `name:`. The project is named after its stack folder (`name`); see docs/compose.md.
    public var declaredName: String?

    /// Services in dependency order (dependencies first, then by name).
    public var orderedServiceNames: [String] { (try? DependencyGraph(self).order()) ?? services.keys.sorted() }
}

public struct ComposeService: Sendable, Equatable, Codable {
    public var name: String
    public var image: String?
    public var build: BuildSpec?
    public var pullPolicy: String?
    public var replicas: Int = 1
    public var profiles: [String] = []
    public var dependsOn: [String: Dependency] = [:]

    public var command: [String]?
    public var entrypoint: [String]?
    public var environment: [String: String] = [:]
    public var labels: [String: String] = [:]
    public var ports: [PortMapping] = []
    public var expose: [String] = []
    public var volumes: [ServiceMount] = []
    public var tmpfs: [String] = []
    public var networks: [String: ServiceNetwork] = [:]
    public var networkMode: String?
    /// `service[:ro|rw]` or `container:name[:ro|rw]`. Optionals from here on stay out of the
    /// config hash when unset, so adding them did not recreate existing containers.
    public var volumesFrom: [String]?
    public var ipc: String?
    public var pid: String?
    public var uts: String?
    public var usernsMode: String?
    /// `host` or `private` (the cgroup namespace).
    public var cgroup: String?
    public var cgroupParent: String?
    public var runtime: String?
    public var deviceCgroupRules: [String]?
    public var healthcheck: Healthcheck?
    public var restart: String?
    public var logging: Logging?
    public var ulimits: [String: Ulimit] = [:]
    public var extraHosts: [String] = []
    public var dns: [String] = []
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var securityOpt: [String] = []
    public var privileged = false
    public var readOnly = false
    public var initProcess: Bool?
    public var tty = false
    public var stdinOpen = false
    public var user: String?
    public var workingDir: String?
    public var hostname: String?
    public var domainname: String?
    public var containerName: String?
    public var stopGracePeriod: Double?
    public var stopSignal: String?
    public var shmSize: Int64?
    public var devices: [String] = []
    public var sysctls: [String: String] = [:]
    public var resources = Resources()
    public var secrets: [FileReference] = []
    public var configs: [FileReference] = []
    /// Engine settings added for issue 15; each optional, so a file that leaves them out hashes as before.
    public var engine: EngineSettings?
    /// `post_start` / `pre_stop`: commands run in the container after it starts / before it stops.
    public var postStart: [LifecycleHook]?
    public var preStop: [LifecycleHook]?

    public init(name: String) { self.name = name }
}

/// Container fields beyond the original set, as the Engine API names them (see docs/compose.md).
public struct EngineSettings: Sendable, Equatable, Codable {
    public var dnsSearch: [String]?
    public var dnsOptions: [String]?
    public var groupAdd: [String]?
    public var oomScoreAdj: Int?
    public var oomKillDisable: Bool?
    public var memSwappiness: Int?
    public var memswapLimit: Int64?
    public var cpuShares: Int64?
    public var cpuQuota: Int64?
    public var cpuPeriod: Int64?
    public var cpuRealtimeRuntime: Int64?
    public var cpuRealtimePeriod: Int64?
    public var cpuCount: Int64?
    public var cpuPercent: Int64?
    public var cpuset: String?
    public var blkio: BlkioConfig?
    public var macAddress: String?
    /// `service[:alias]`, and `container[:alias]` for `external_links`.
    public var links: [String]?
    public var externalLinks: [String]?
    public var platform: String?
    /// From `gpus` and `deploy.resources.reservations.devices`.
    public var deviceRequests: [DeviceRequest]?
    public var annotations: [String: String]?
    public var storageOpt: [String: String]?
    public var isolation: String?

    public init() {}
    /// True when nothing is set, so the service carries no `engine` at all.
    var isEmpty: Bool { self == EngineSettings() }
}

public struct BlkioConfig: Sendable, Equatable, Codable {
    /// A device path and a number: a weight, bytes per second or operations per second.
    public struct DeviceValue: Sendable, Equatable, Codable {
        public var path: String
        public var value: Int64
    }

    public var weight: Int?
    public var weightDevice: [DeviceValue] = []
    public var readBps: [DeviceValue] = []
    public var writeBps: [DeviceValue] = []
    public var readIops: [DeviceValue] = []
    public var writeIops: [DeviceValue] = []
}

/// The engine's `DeviceRequest` (GPUs and other driver-managed devices).
public struct DeviceRequest: Sendable, Equatable, Codable {
    public var driver: String?
    /// -1 for `all`.
    public var count: Int?
    public var deviceIDs: [String]?
    public var capabilities: [[String]] = []
    public var options: [String: String] = [:]
}

/// A `post_start` or `pre_stop` entry: an exec in the service's container.
public struct LifecycleHook: Sendable, Equatable, Codable {
    public var command: [String]
    public var user: String?
    public var privileged = false
    public var workingDir: String?
    public var environment: [String: String] = [:]
}

public struct BuildSpec: Sendable, Equatable, Codable {
    /// Absolute folder, or a Git URL as given.
    public var context: String
    public var dockerfile: String?
    public var args: [String: String] = [:]
    public var target: String?
    public var noCache = false
    public var pull = false
    /// The Dockerfile's text (`dockerfile_inline`), sent inside the context archive.
    public var dockerfileInline: String?
    public var cacheFrom: [String] = []
    /// More tags for the built image, beside the service's image name.
    public var tags: [String] = []
    public var labels: [String: String] = [:]
    /// The network RUN steps use (`host`, `none`, a network name).
    public var network: String?
    public var shmSize: Int64?
    /// `host:ip` entries, as for a service.
    public var extraHosts: [String] = []
    public var isolation: String?
    public var platforms: [String] = []
    /// Keys the classic builder cannot do, kept so the build fails with a clear message rather than build something else.
    public var needsBuildKit: [String] = []
}

public struct Dependency: Sendable, Equatable, Codable {
    public enum Condition: String, Sendable, Codable {
        case started = "service_started"
        case healthy = "service_healthy"
        case completedSuccessfully = "service_completed_successfully"
    }

    public var condition: Condition = .started
    public var restart = false
    public var required = true
}

public struct PortMapping: Sendable, Equatable, Codable, Hashable {
    public var target: Int
    public var published: String?
    public var hostIP: String?
    public var proto = "tcp"

    /// Host ports this mapping binds (a range gives several); empty when the engine picks one.
    public var publishedPorts: [Int] {
        guard let published, !published.isEmpty else { return [] }
        let parts = published.split(separator: "-").compactMap { Int($0) }
        if parts.count == 2, parts[0] <= parts[1] { return Array(parts[0]...parts[1]) }
        return parts.count == 1 ? parts : []
    }
}

public struct ServiceMount: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case volume, bind, tmpfs, image }

    public var kind: Kind
    /// Volume key in the file (for `volume`), absolute host path (for `bind`), nil for anonymous volumes and tmpfs.
    public var source: String?
    public var target: String
    public var readOnly = false
    public var createHostPath = true
    public var noCopy = false
    public var tmpfsSize: Int64?
    /// Bind propagation (`rslave`, `shared`, …) and SELinux relabelling (`z`, `Z`); nil when not written.
    public var propagation: String?
    public var selinux: String?
    /// `image.subpath` or `volume.subpath` (API 1.45): the folder of the image or volume to mount.
    public var subpath: String?
    /// `tmpfs.mode`, the permission bits as written in octal (`1777`).
    public var tmpfsMode: Int?
    /// `bind.recursive`: enabled (the default), disabled, writable or readonly (API 1.44).
    public var recursive: String?
}

public struct ServiceNetwork: Sendable, Equatable, Codable {
    public var aliases: [String] = []
    public var ipv4Address: String?
    public var ipv6Address: String?
    public var linkLocalIPs: [String]?
    public var macAddress: String?
    public var driverOpts: [String: String]?
    /// The engine's `GwPriority` (API 1.48); `priority` only orders the connections.
    public var gwPriority: Int?
    public var priority: Int?
    /// Set as the driver option `com.docker.network.endpoint.ifname` (API 1.49), as Compose does.
    public var interfaceName: String?
}

public struct Healthcheck: Sendable, Equatable, Codable {
    /// `["NONE"]` disables the image's check.
    public var test: [String]?
    public var interval: Double?
    public var timeout: Double?
    public var retries: Int?
    public var startPeriod: Double?
    public var startInterval: Double?
}

public struct Logging: Sendable, Equatable, Codable {
    public var driver: String?
    public var options: [String: String] = [:]
}

public struct Ulimit: Sendable, Equatable, Codable {
    public var soft: Int64
    public var hard: Int64
}

public struct Resources: Sendable, Equatable, Codable {
    public var cpus: Double?
    public var memory: Int64?
    public var pids: Int64?
    public var cpusReservation: Double?
    public var memoryReservation: Int64?
}

public struct FileReference: Sendable, Equatable, Codable {
    public var source: String
    public var target: String
}

public struct NetworkDefinition: Sendable, Equatable {
    /// The engine's name: `<project>_<key>` unless `name:` or `external` says otherwise.
    public var name: String
    public var external = false
    public var driver: String?
    public var driverOpts: [String: String] = [:]
    public var labels: [String: String] = [:]
    public var isInternal = false
    public var attachable = false
    public var enableIPv6 = false
    /// nil: the engine's default (on). `false` needs API 1.47.
    public var enableIPv4: Bool?
    public var subnets: [IPAMPool] = []
    public var ipamDriver: String?
    public var ipamOptions: [String: String] = [:]
}

public struct IPAMPool: Sendable, Equatable {
    public var subnet: String?
    public var gateway: String?
    public var ipRange: String?
    public var auxAddresses: [String: String] = [:]
}

public struct VolumeDefinition: Sendable, Equatable {
    public var name: String
    public var external = false
    public var driver: String?
    public var driverOpts: [String: String] = [:]
    public var labels: [String: String] = [:]
}

/// A `secrets:` or `configs:` entry: a file in the project (mounted read-only), or inline content.
public struct FileObject: Sendable, Equatable {
    public var file: String?
    public var content: String?
    public var environment: String?
    /// Why the engine cannot provide it (`external`, a `driver`): refused only when a service uses it.
    public var unavailable: String?
}
