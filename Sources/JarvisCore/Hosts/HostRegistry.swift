import DockerEngine
import Foundation
import JarvisStore
import Logging

/// The services of one engine, built for one request or task from the host's
/// current record: every engine feature takes the host it acts on from here.
public struct HostServices: Sendable {
    public let record: HostRecord
    public let docker: DockerClient
    public let containers: ContainerService
    public let terminals: TerminalService
    public let system: SystemService
    public let images: ImageService
    public let imageTasks: ImageTaskService
    public let stacks: StackService
    public let volumes: VolumeService
    public let volumeBrowser: VolumeBrowser

    public var name: String { record.name }

    /// Actions on an offline host are refused at once instead of waiting for a connect timeout.
    public func requireOnline() throws {
        guard record.state != "offline" else {
            throw JarvisError(503, "host_offline", "host \(record.name) is offline"
                              + (record.lastError.map { " (\($0))" } ?? "") + "; it was last seen \(record.lastSeen ?? "never")")
        }
    }
}

/// Finds hosts by name and keeps one engine client per host (its negotiated API
/// version and connections are worth keeping); a changed record gets a new client.
public final class HostRegistry: @unchecked Sendable {
    let database: AppDatabase
    let config: JarvisConfig
    let tasks: TaskService
    let logger: Logger
    private let lock = NSLock()
    private var clients: [Int64: (key: String, client: DockerClient)] = [:]
    private var secretBox: SecretBox?

    init(database: AppDatabase, config: JarvisConfig, tasks: TaskService, logger: Logger) {
        self.database = database
        self.config = config
        self.tasks = tasks
        self.logger = logger
    }

    /// The host a request names (nil: the default host). Unknown names are a 404.
    public func record(named name: String?) throws -> HostRecord {
        let found = try name.map { try database.host(name: $0) } ?? database.defaultHost()
        guard let record = found else {
            throw JarvisError(404, "host_not_found", "no host \(name.map { String($0.prefix(64)) } ?? "is the default")")
        }
        return record
    }

    public func services(named name: String?) throws -> HostServices { try services(try record(named: name)) }

    public func services(id: Int64) throws -> HostServices {
        guard let record = try database.host(id: id) else { throw JarvisError(404, "host_not_found", "host \(id) was deleted") }
        return try services(record)
    }

    public func services(_ record: HostRecord) throws -> HostServices {
        let docker = try client(for: record)
        let containers = ContainerService(docker: docker, database: database, host: record)
        return HostServices(
            record: record, docker: docker, containers: containers,
            terminals: TerminalService(docker: docker, database: database, enabled: config.terminalEnabled, host: record),
            system: SystemService(docker: docker, database: database),
            images: ImageService(docker: docker),
            imageTasks: ImageTaskService(tasks: tasks, database: database, docker: docker, dataDir: config.dataDir, hostID: record.id),
            stacks: StackService(folder: stacksFolder(record), docker: docker, tasks: tasks, host: record,
                                 generatedRoot: generatedRoot(record)),
            volumes: VolumeService(docker: docker, database: database, hostID: record.id),
            volumeBrowser: VolumeBrowser(docker: docker))
    }

    /// The local host keeps today's layout; the stacks of other hosts live in `stacks_dir/<host>/`.
    public func stacksFolder(_ record: HostRecord) -> StacksFolder {
        StacksFolder(root: record.id == HostRecord.localID ? config.stacksDir : config.stacksDir + "/" + record.name,
                     reserved: record.id == HostRecord.localID ? Set(((try? database.hosts(includeArchived: true)) ?? []).map(\.name)) : [])
    }

    /// Where Jarvis keeps the files it generates for a host's stacks.
    public func generatedRoot(_ record: HostRecord) -> String {
        record.id == HostRecord.localID ? config.dataDir + "/stacks" : config.dataDir + "/hosts/" + record.name + "/stacks"
    }

    /// The engine client of a host, kept while its endpoint, credentials and mode stay the same.
    public func client(for record: HostRecord) throws -> DockerClient {
        let key = [record.endpoint, record.transport, record.sealedCredentials ?? "", String(record.readOnly), record.updatedAt].joined(separator: "\u{1F}")
        if let cached = lock.withLock({ clients[record.id] }), cached.key == key { return cached.client }
        let host = try dockerHost(for: record)
        let client = DockerClient(host: host, readOnly: config.readOnly || record.readOnly,
                                  admission: HostAccessPolicy(database: database), logger: logger)
        lock.withLock { clients[record.id] = (key, client) }
        return client
    }

    /// How to reach a host's engine, with its credentials opened.
    public func dockerHost(for record: HostRecord) throws -> DockerHost {
        try HostEndpoint.dockerHost(endpoint: record.endpoint, transport: record.transport,
                                    credentials: try record.sealedCredentials.map { try HostCredentials.open($0, box: secrets()) })
    }

    /// An SSH host's tunnel in this process ends with the settings it was opened for (changed or deleted host).
    static func closeTunnel(_ host: DockerHost) {
        if case let .ssh(endpoint) = host.transport { SSHTunnels.shared.stop(endpoint) }
    }

    /// Forgets the client of a host whose settings changed or that was deleted, and closes its tunnel.
    func forget(_ record: HostRecord) {
        guard let cached = lock.withLock({ clients.removeValue(forKey: record.id) }) else { return }
        Self.closeTunnel(cached.client.host)
    }

    func secrets() throws -> SecretBox {
        if let box = lock.withLock({ secretBox }) { return box }
        let box = try SecretBox.load(dataDir: config.dataDir)
        lock.withLock { secretBox = box }
        return box
    }

    /// The local host follows `docker_host` of the config at every start.
    func syncLocal() throws {
        let host = try config.dockerHost.map(DockerHost.parse) ?? .systemDefault
        let transport: String
        if case .tcp = host.transport { transport = "tcp" } else { transport = "unix" }
        try database.setLocalEndpoint(host.description, transport: transport)
    }
}
