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

    enum CodingKeys: String, CodingKey {
        case id = "ID", name = "Name", serverVersion = "ServerVersion", containers = "Containers"
        case containersRunning = "ContainersRunning", containersPaused = "ContainersPaused"
        case containersStopped = "ContainersStopped", images = "Images", cpus = "NCPU", memTotal = "MemTotal"
        case operatingSystem = "OperatingSystem", kernelVersion = "KernelVersion", driver = "Driver"
        case dockerRootDir = "DockerRootDir"
    }
}
