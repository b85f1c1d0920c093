import DockerEngine

/// A container's details as the API shows them, in Jarvis's own shape rather
/// than the engine's PascalCase.
public struct ContainerDetailsView: Encodable, Sendable {
    public let id: String
    public let name: String
    public let image: String
    public let imageId: String
    public let created: String
    public let state: State
    public let command: [String]
    public let entrypoint: [String]?
    public var env: [String]
    public let labels: [String: String]
    public let tty: Bool
    public let hostname: String?
    public let user: String?
    public let workingDir: String?
    public let restartPolicy: String?
    public let restartCount: Int
    public let memoryLimit: Int64?
    public let nanoCpus: Int64?
    public let privileged: Bool
    public let mounts: [MountView]
    public let networks: [String: NetworkView]
    public let ports: [ContainerView.PortView]
    public let healthLog: [HealthProbeView]
    /// Bytes, only when asked for with `size=1`.
    public let sizeRw: Int64?
    public let sizeRootFs: Int64?
    /// True when secret-looking environment values were masked for this caller.
    public var envMasked = false
    /// The last update check of this container (nil before the first one).
    public var update: UpdateView?

    public struct HealthProbeView: Encodable, Sendable {
        public let start: String?
        public let end: String?
        public let exitCode: Int?
        public let output: String?
    }

    public struct State: Encodable, Sendable {
        public let status: String
        public let running: Bool
        public let paused: Bool
        public let restarting: Bool
        public let exitCode: Int?
        public let error: String?
        public let startedAt: String?
        public let finishedAt: String?
        public let health: String?
    }

    public struct MountView: Encodable, Sendable {
        public let type: String?
        public let name: String?
        public let source: String?
        public let destination: String
        public let readOnly: Bool
    }

    public struct NetworkView: Encodable, Sendable {
        public let ipAddress: String?
        public let gateway: String?
        public let macAddress: String?
        public let aliases: [String]
    }

    public init(_ details: ContainerDetails) {
        id = details.id
        name = details.displayName
        image = details.config.image ?? details.image
        imageId = details.image
        created = details.created
        let s = details.state
        state = State(status: s.status, running: s.running, paused: s.paused, restarting: s.restarting, exitCode: s.exitCode,
                      error: s.error.flatMap { $0.isEmpty ? nil : $0 }, startedAt: s.startedAt, finishedAt: s.finishedAt,
                      health: s.health?.status)
        command = details.config.cmd ?? ([details.path].compactMap { $0 } + (details.args ?? []))
        entrypoint = details.config.entrypoint
        env = details.config.env ?? []
        labels = details.config.labels ?? [:]
        tty = details.config.tty ?? false
        hostname = details.config.hostname
        user = details.config.user.flatMap { $0.isEmpty ? nil : $0 }
        workingDir = details.config.workingDir.flatMap { $0.isEmpty ? nil : $0 }
        restartPolicy = details.hostConfig?.restartPolicy?.name.flatMap { $0.isEmpty ? nil : $0 }
        restartCount = details.restartCount ?? 0
        memoryLimit = details.hostConfig?.memory.flatMap { $0 == 0 ? nil : $0 }
        nanoCpus = details.hostConfig?.nanoCpus.flatMap { $0 == 0 ? nil : $0 }
        mounts = (details.mounts ?? []).map {
            MountView(type: $0.type, name: $0.name, source: $0.source, destination: $0.destination, readOnly: $0.rw == false)
        }
        networks = (details.networkSettings?.networks ?? [:]).mapValues {
            NetworkView(ipAddress: $0.ipAddress.flatMap { $0.isEmpty ? nil : $0 }, gateway: $0.gateway.flatMap { $0.isEmpty ? nil : $0 },
                        macAddress: $0.macAddress.flatMap { $0.isEmpty ? nil : $0 }, aliases: $0.aliases ?? [])
        }
        privileged = details.hostConfig?.privileged ?? false
        var ports: [ContainerView.PortView] = []
        for (key, bindings) in (details.networkSettings?.ports ?? [:]).sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "/")
            guard let port = parts.first.flatMap({ Int($0) }) else { continue }
            let type = parts.count > 1 ? String(parts[1]) : "tcp"
            if let bindings, !bindings.isEmpty {
                for binding in bindings {
                    ports.append(.init(ip: binding.hostIP, privatePort: port, publicPort: binding.hostPort.flatMap { Int($0) }, type: type))
                }
            } else {
                ports.append(.init(ip: nil, privatePort: port, publicPort: nil, type: type))
            }
        }
        self.ports = ports
        healthLog = (details.state.health?.log ?? []).map {
            HealthProbeView(start: $0.start, end: $0.end, exitCode: $0.exitCode, output: $0.output)
        }
        sizeRw = details.sizeRw
        sizeRootFs = details.sizeRootFs
    }

    /// The same view with `SecretMask`'s rule applied to the environment: values of
    /// secret-looking variables (`DB_PASSWORD`, `API_KEY`, …) replaced by `••••••`, and the
    /// password of any URL with user info (`postgres://app:***@db/x`) whatever the variable.
    public func maskingSecrets() -> ContainerDetailsView {
        var copy = self
        copy.env = SecretMask.maskEnvironmentEntries(env)
        copy.envMasked = copy.env != env
        return copy
    }
}
