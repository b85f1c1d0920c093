import DockerEngine
import Foundation
import JarvisStore
import Logging

/// Everything a Jarvis process needs, opened once at start: config, store,
/// engine client and services. Both servers and jarvisctl start here.
public final class JarvisEnvironment: Sendable {
    public let config: JarvisConfig
    public let database: AppDatabase
    /// Every engine, by name: services act on the host a request or task names.
    public let hosts: HostRegistry
    /// Adding, changing and checking hosts; the overview across them.
    public let hostManagement: HostService
    public let auth: AuthService
    public let audit: AuditService
    public let users: UserService
    public let confirmations: ConfirmationService
    public let tasks: TaskService
    /// Where event sources report what is worth a message (one store insert each).
    public let notifier: Notifier
    /// Scheduled jobs and their runs.
    public let jobs: JobService
    /// Image update checks, policies, history, updates and rollbacks.
    public let updates: UpdateService
    /// The app template catalog and deploys from it.
    public let templates: TemplateService

    public static func start(config: JarvisConfig, logger: Logger) async throws -> JarvisEnvironment {
        try AppDatabase.holdInUse(config.databasePath)
        let database = try AppDatabase(path: config.databasePath, auditKeyPath: config.auditKeyPath)
        try database.prepareAuditChain()
        let key = try SecretFile.loadOrCreate(path: config.dataDir + "/keys/jwt-signing.key")
        let tokens = await TokenService(signingKey: key, accessLifetime: TimeInterval(config.accessTokenSeconds))
        let environment = JarvisEnvironment(config: config, database: database, tokens: tokens, logger: logger)
        try environment.hosts.syncLocal()
        return environment
    }

    private init(config: JarvisConfig, database: AppDatabase, tokens: TokenService, logger: Logger) {
        self.config = config
        self.database = database
        auth = AuthService(database: database, tokens: tokens, refreshLifetime: TimeInterval(config.refreshTokenSeconds),
                           notifier: Notifier(database: database, logger: logger))
        audit = AuditService(database: database)
        users = UserService(database: database, notifier: Notifier(database: database, logger: logger))
        confirmations = ConfirmationService(database: database)
        tasks = TaskService(database: database, dataDir: config.dataDir)
        notifier = Notifier(database: database, logger: logger)
        hosts = HostRegistry(database: database, config: config, tasks: tasks, logger: logger)
        hostManagement = HostService(registry: hosts)
        jobs = JobService(database: database, hosts: hosts)
        updates = UpdateService(database: database, hosts: hosts, tasks: tasks, config: config)
        templates = TemplateService(catalog: TemplateCatalog(templatesDir: config.templatesDir, localDir: config.dataDir + "/templates",
                                                                    database: database), database: database,
                                    hosts: hosts, maxListBytes: config.templateListMaxBytes)
    }

    /// The default host's services (the unscoped routes, `jarvisctl`).
    public func defaultHost() throws -> HostServices { try hosts.services(named: nil) }

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
