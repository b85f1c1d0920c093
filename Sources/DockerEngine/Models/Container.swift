/// One row of `GET /containers/json`.
public struct ContainerSummary: Codable, Sendable {
    public let id: String
    public let names: [String]
    public let image: String
    public let imageID: String?
    public let command: String?
    public let created: Int64
    public let state: String
    public let status: String
    public let ports: [PortBinding]
    public let labels: [String: String]?

    enum CodingKeys: String, CodingKey {
        case id = "Id", names = "Names", image = "Image", imageID = "ImageID", command = "Command"
        case created = "Created", state = "State", status = "Status", ports = "Ports", labels = "Labels"
    }

    /// The primary name without the leading slash.
    public var name: String {
        let first = names.first ?? id
        return first.hasPrefix("/") ? String(first.dropFirst()) : first
    }
}

/// A container port and, when published, its host side.
public struct PortBinding: Codable, Sendable, Equatable {
    public let ip: String?
    public let privatePort: Int
    public let publicPort: Int?
    public let type: String

    enum CodingKeys: String, CodingKey {
        case ip = "IP", privatePort = "PrivatePort", publicPort = "PublicPort", type = "Type"
    }
}

/// `GET /containers/{id}/json`, the parts a console shows.
public struct ContainerDetails: Codable, Sendable {
    public let id: String
    public let name: String
    public let created: String
    public let path: String?
    public let args: [String]?
    public let state: ContainerState
    public let image: String
    public let restartCount: Int?
    public let config: ContainerConfig
    public let hostConfig: HostConfig?
    public let mounts: [Mount]?
    public let networkSettings: NetworkSettings?
    /// Only with `size=1`.
    public let sizeRw: Int64?
    public let sizeRootFs: Int64?

    enum CodingKeys: String, CodingKey {
        case id = "Id", name = "Name", created = "Created", path = "Path", args = "Args", state = "State"
        case image = "Image", restartCount = "RestartCount", config = "Config", hostConfig = "HostConfig"
        case mounts = "Mounts", networkSettings = "NetworkSettings", sizeRw = "SizeRw", sizeRootFs = "SizeRootFs"
    }

    public struct ContainerState: Codable, Sendable {
        public let status: String
        public let running: Bool
        public let paused: Bool
        public let restarting: Bool
        public let oomKilled: Bool?
        public let dead: Bool?
        public let pid: Int?
        public let exitCode: Int?
        public let error: String?
        public let startedAt: String?
        public let finishedAt: String?
        public let health: Health?

        enum CodingKeys: String, CodingKey {
            case status = "Status", running = "Running", paused = "Paused", restarting = "Restarting"
            case oomKilled = "OOMKilled", dead = "Dead", pid = "Pid", exitCode = "ExitCode", error = "Error"
            case startedAt = "StartedAt", finishedAt = "FinishedAt", health = "Health"
        }
    }

    public struct Health: Codable, Sendable {
        public let status: String
        public let failingStreak: Int?
        public let log: [HealthProbe]?

        enum CodingKeys: String, CodingKey { case status = "Status", failingStreak = "FailingStreak", log = "Log" }
    }

    public struct HealthProbe: Codable, Sendable {
        public let start: String?
        public let end: String?
        public let exitCode: Int?
        public let output: String?

        enum CodingKeys: String, CodingKey { case start = "Start", end = "End", exitCode = "ExitCode", output = "Output" }
    }

    public struct ContainerConfig: Codable, Sendable {
        public let hostname: String?
        public let user: String?
        public let env: [String]?
        public let cmd: [String]?
        public let entrypoint: [String]?
        public let image: String?
        public let workingDir: String?
        public let labels: [String: String]?
        public let tty: Bool?

        enum CodingKeys: String, CodingKey {
            case hostname = "Hostname", user = "User", env = "Env", cmd = "Cmd", entrypoint = "Entrypoint"
            case image = "Image", workingDir = "WorkingDir", labels = "Labels", tty = "Tty"
        }
    }

    public struct HostConfig: Codable, Sendable {
        public let networkMode: String?
        public let restartPolicy: RestartPolicy?
        public let memory: Int64?
        public let nanoCpus: Int64?
        public let privileged: Bool?
        public let portBindings: [String: [HostPort]?]?
        public let autoRemove: Bool?

        enum CodingKeys: String, CodingKey {
            case networkMode = "NetworkMode", restartPolicy = "RestartPolicy", memory = "Memory", nanoCpus = "NanoCpus"
            case privileged = "Privileged", portBindings = "PortBindings", autoRemove = "AutoRemove"
        }
    }

    /// One host side of a port binding (`HostConfig.PortBindings`, `NetworkSettings.Ports`).
    public struct HostPort: Codable, Sendable {
        public let hostIP: String?
        public let hostPort: String?

        enum CodingKeys: String, CodingKey { case hostIP = "HostIp", hostPort = "HostPort" }
    }

    public struct RestartPolicy: Codable, Sendable {
        public let name: String?
        public let maximumRetryCount: Int?

        enum CodingKeys: String, CodingKey { case name = "Name", maximumRetryCount = "MaximumRetryCount" }
    }

    public struct Mount: Codable, Sendable {
        public let type: String?
        public let name: String?
        public let source: String?
        public let destination: String
        public let mode: String?
        public let rw: Bool?

        enum CodingKeys: String, CodingKey {
            case type = "Type", name = "Name", source = "Source", destination = "Destination", mode = "Mode", rw = "RW"
        }
    }

    public struct NetworkSettings: Codable, Sendable {
        public let networks: [String: Endpoint]?
        public let ports: [String: [HostPort]?]?

        enum CodingKeys: String, CodingKey { case networks = "Networks", ports = "Ports" }
    }

    public struct Endpoint: Codable, Sendable {
        public let ipAddress: String?
        public let gateway: String?
        public let macAddress: String?
        public let aliases: [String]?

        enum CodingKeys: String, CodingKey {
            case ipAddress = "IPAddress", gateway = "Gateway", macAddress = "MacAddress", aliases = "Aliases"
        }
    }

    /// The name without the leading slash.
    public var displayName: String { name.hasPrefix("/") ? String(name.dropFirst()) : name }
}
