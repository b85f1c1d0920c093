import DockerEngine
import Foundation
import JarvisStore
import Logging

/// Everything a Jarvis process needs, opened once at start: config, store,
/// engine client and services. Both servers and jarvisctl start here.
public final class JarvisEnvironment: Sendable {
    public let config: JarvisConfig
    public let database: AppDatabase
    public let docker: DockerClient
    public let auth: AuthService
    public let audit: AuditService
    public let containers: ContainerService
    public let users: UserService
    public let confirmations: ConfirmationService
    public let terminals: TerminalService
    public let system: SystemService
    public let images: ImageService
    public let tasks: TaskService
    public let imageTasks: ImageTaskService
    public let stacks: StackService

    public static func start(config: JarvisConfig, logger: Logger) async throws -> JarvisEnvironment {
        try AppDatabase.holdInUse(config.databasePath)
        let database = try AppDatabase(path: config.databasePath, auditKeyPath: config.auditKeyPath)
        try database.prepareAuditChain()
        let host = try config.dockerHost.map(DockerHost.parse) ?? .systemDefault
        let key = try SecretFile.loadOrCreate(path: config.dataDir + "/keys/jwt-signing.key")
        let tokens = await TokenService(signingKey: key, accessLifetime: TimeInterval(config.accessTokenSeconds))
        let docker = DockerClient(host: host, readOnly: config.readOnly, admission: HostAccessPolicy(database: database), logger: logger)
        return JarvisEnvironment(config: config, database: database, docker: docker, tokens: tokens)
    }

    private init(config: JarvisConfig, database: AppDatabase, docker: DockerClient, tokens: TokenService) {
        self.config = config
        self.database = database
        self.docker = docker
        auth = AuthService(database: database, tokens: tokens, refreshLifetime: TimeInterval(config.refreshTokenSeconds))
        audit = AuditService(database: database)
        containers = ContainerService(docker: docker, database: database)
        users = UserService(database: database)
        confirmations = ConfirmationService(database: database)
        terminals = TerminalService(docker: docker, database: database, enabled: config.terminalEnabled)
        system = SystemService(docker: docker, database: database)
        images = ImageService(docker: docker)
        tasks = TaskService(database: database, dataDir: config.dataDir)
        imageTasks = ImageTaskService(tasks: tasks, database: database, docker: docker, dataDir: config.dataDir)
        stacks = StackService(folder: StacksFolder(root: config.stacksDir), docker: docker, tasks: tasks)
    }

    /// Creates the first admin if the store has no user; prints a generated password once.
    public func bootstrapAdmin(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if let generated = try auth.bootstrapAdmin(password: environment["JARVIS_ADMIN_PASSWORD"]) {
            FileHandle.standardError.write(Data("""

                ==> Jarvis created the user 'admin' with the password: \(generated)
                ==> It is shown this once. Change it after logging in.


                """.utf8))
        }
    }
}
