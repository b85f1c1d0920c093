import DockerEngine
import Foundation
import JarvisStore

/// The dashboard: host facts, disk usage, containers by state, top consumers.
public struct DashboardView: Encodable, Sendable {
    public struct Host: Encodable, Sendable {
        public let name: String?
        public let engineVersion: String?
        public let apiVersion: String
        public let os: String?
        public let kernel: String?
        public let cpus: Int?
        public let memory: Int64?
        public let storageDriver: String?
        public let rootDir: String?
    }

    public struct Disk: Encodable, Sendable {
        public let images: Int64
        public let containers: Int64
        public let volumes: Int64
        public let buildCache: Int64
        public let imageCount: Int
        public let volumeCount: Int
    }

    public let host: Host
    /// Nil when `/system/df` failed or took too long; the rest still shows.
    public let disk: Disk?
    public let containers: [String: Int]
    /// Containers with a healthcheck by its state: `unhealthy` is what a chart should show first.
    public let health: [String: Int]
    public let topCpu: [ContainerView]
    public let topMemory: [ContainerView]
    public var recentAudit: [AuditEntryView]?
}

public final class SystemService: Sendable {
    let docker: DockerClient
    let database: AppDatabase

    public init(docker: DockerClient, database: AppDatabase) {
        self.docker = docker
        self.database = database
    }

    public func dashboard(containers service: ContainerService) async throws -> DashboardView {
        do {
            async let info = docker.info()
            async let version = docker.apiVersion()
            async let disk = try? docker.diskUsage()
            async let counts = service.counts()
            async let topCpu = service.list(ContainerQuery(all: false, sort: .cpu, descending: true, pageSize: 5))
            async let topMemory = service.list(ContainerQuery(all: false, sort: .memory, descending: true, pageSize: 5))
            let hostInfo = try await info
            let host = DashboardView.Host(name: hostInfo.name, engineVersion: hostInfo.serverVersion, apiVersion: "\(try await version)",
                                          os: hostInfo.operatingSystem, kernel: hostInfo.kernelVersion, cpus: hostInfo.cpus,
                                          memory: hostInfo.memTotal, storageDriver: hostInfo.driver, rootDir: hostInfo.dockerRootDir)
            return DashboardView(host: host, disk: (await disk).map(Self.summarise), containers: try await counts.states, health: try await counts.health,
                                 topCpu: try await topCpu.items.filter { $0.cpuPercent != nil },
                                 topMemory: try await topMemory.items.filter { $0.memoryUsed != nil }, recentAudit: nil)
        } catch let error as EngineError {
            throw JarvisError.from(error)
        }
    }

    static func summarise(_ usage: DiskUsage) -> DashboardView.Disk {
        DashboardView.Disk(images: usage.layersSize ?? (usage.images ?? []).reduce(0) { $0 + ($1.size ?? 0) },
                           containers: (usage.containers ?? []).reduce(0) { $0 + ($1.sizeRw ?? 0) },
                           volumes: (usage.volumes ?? []).reduce(0) { $0 + max($1.usageData?.size ?? 0, 0) },
                           buildCache: (usage.buildCache ?? []).reduce(0) { $0 + ($1.size ?? 0) },
                           imageCount: usage.images?.count ?? 0, volumeCount: usage.volumes?.count ?? 0)
    }
}
