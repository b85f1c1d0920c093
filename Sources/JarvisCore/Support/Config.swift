import Foundation

/// Settings from `/etc/jarvis/jarvis.conf` (or `JARVIS_CONFIG`), each key
/// overridable by a `JARVIS_<KEY>` environment variable. Format: `key = value`,
/// `#` starts a comment.
public struct JarvisConfig: Sendable {
    public var dataDir: String
    public var databasePath: String
    public var dockerHost: String?
    public var fcgiSocket: String?
    /// Worker threads of one jarvis-fcgi process (threads are cheap; idle ones cost a stack).
    public var fcgiThreads: Int
    /// Workers long requests (uploads, downloads, stops) may hold at once; the rest stay for short ones.
    public var fcgiLongRequests: Int
    /// Long requests one user may have running at once.
    public var fcgiLongPerUser: Int
    /// Mode of the socket jarvis-fcgi creates, so the web server's user can connect.
    public var fcgiSocketMode: mode_t
    public var sseSocket: String
    public var accessTokenSeconds: Int
    public var refreshTokenSeconds: Int
    public var secureCookies: Bool
    public var logLevel: String
    /// No state-changing call reaches the engine (enforced in DockerEngine).
    public var readOnly: Bool
    /// Audit rows older than this are purged (a checkpoint keeps the chain verifiable).
    public var auditRetentionDays: Int
    /// Seconds between container resource samples in jarvis-sse; 0 turns sampling off.
    public var statsInterval: Int
    /// Stats calls per second across all hosts (0: no limit); past it a sampling round takes longer.
    public var statsMaxRate: Int
    /// The web terminal (`exec`) for everyone; off makes the endpoint answer 403.
    public var terminalEnabled: Bool
    /// A terminal with no input or output for this long is closed.
    public var terminalIdleSeconds: Int
    /// Tasks the runner runs at once (tasks on the same target always run one after the other).
    public var taskConcurrency: Int
    /// Hours a saved image archive stays downloadable.
    public var artifactTTLHours: Int
    /// Largest upload (image archive, build context) jarvis-fcgi accepts; nginx enforces its own limit too.
    public var uploadMaxBytes: Int64
    /// The stacks folder: one folder per Compose stack.
    public var stacksDir: String
    /// Folder of the daily backups jarvis-sse writes.
    public var backupDir: String
    /// Daily backups kept (older ones are deleted); 0 turns daily backups off.
    public var backupKeep: Int
    /// Seconds between health checks of every host (jarvis-sse).
    public var hostCheckInterval: Int
    /// Hosts checked at once.
    public var hostCheckConcurrency: Int
    /// Plain `tcp://` engines (no TLS: a docker-socket-proxy on a trusted network) may be added.
    public var allowPlainTCP: Bool
    /// Seconds before a failed notification is tried again (each next retry waits four times longer).
    public var notifyRetrySeconds: Int
    /// Attempts before a notification is logged failed.
    public var notifyMaxAttempts: Int
    /// Days before a TLS host's certificate expires that `host.certificate_expiring` is sent; 0 = never.
    public var notifyCertificateDays: Int
    /// Bytes of images, containers, volumes and build cache on a host above which `host.disk_usage` is sent; 0 = off.
    public var notifyDiskBytes: Int64
    /// Job runs running at once across all jobs (the scheduler's global cap).
    public var jobConcurrency: Int
    /// Seconds between image update checks of every host (jarvis-sse, with jitter); 0 = only on demand.
    public var updateCheckInterval: Int
    /// Seconds an updated container without a healthcheck must keep running, without a restart, to count as good.
    public var updateSettleSeconds: Int
    /// Seconds an updated container with a healthcheck has to report healthy before it is rolled back.
    public var updateHealthTimeout: Int
    /// Registries spoken to over plain HTTP (host or host:port); every other one is HTTPS only.
    public var insecureRegistries: Set<String>
    /// The built-in app templates (one folder per template); found next to the binaries when not set.
    public var templatesDir: String
    /// Largest template list (Portainer JSON) an upload or fetch may be.
    public var templateListMaxBytes: Int
    /// Hours between fetches of the template lists added by URL (jarvis-sse); 0 turns them off.
    public var templateRefreshHours: Int
    /// Where the file came from, for messages.
    public var source: String

    /// Keys the file may set; others are reported as unknown.
    public static let keys: Set<String> = [
        "data_dir", "database", "docker_host", "fcgi_socket", "fcgi_socket_mode", "fcgi_threads", "fcgi_long_requests",
        "fcgi_long_per_user", "sse_socket",
        "access_token_seconds", "refresh_token_seconds", "secure_cookies", "log_level", "audit_retention_days", "read_only",
        "stats_interval", "stats_max_rate", "terminal_enabled", "terminal_idle_seconds", "task_concurrency", "artifact_ttl_hours", "upload_max_bytes",
        "stacks_dir", "backup_dir", "backup_keep", "host_check_interval", "host_check_concurrency", "allow_plain_tcp",
        "notify_retry_seconds", "notify_max_attempts", "notify_certificate_days", "notify_disk_bytes",
        "job_concurrency", "update_check_interval", "update_settle_seconds", "update_health_timeout", "insecure_registries",
        "templates_dir", "template_list_max_bytes", "template_refresh_hours",
    ]

    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment,
                            executableDirectory: String? = nil) throws -> JarvisConfig {
        var values: [String: String] = [:]
        var source = "defaults"
        let candidates = [environment["JARVIS_CONFIG"], "/etc/jarvis/jarvis.conf",
                          executableDirectory.map { $0 + "/jarvis.conf" }].compactMap { $0 }
        if let path = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) {
            values = try parse(try String(contentsOfFile: path, encoding: .utf8), path: path)
            source = path
        } else if let explicit = environment["JARVIS_CONFIG"] {
            throw ConfigError("config file \(explicit) (JARVIS_CONFIG) is not readable")
        }
        for key in keys {
            if let value = environment["JARVIS_" + key.uppercased()] { values[key] = value }
        }
        return try JarvisConfig(values: values, environment: environment, source: source)
    }

    init(values: [String: String], environment: [String: String], source: String) throws {
        dataDir = values["data_dir"] ?? "/var/lib/jarvis"
        databasePath = values["database"] ?? dataDir + "/jarvis.db"
        dockerHost = values["docker_host"] ?? environment["DOCKER_HOST"]
        fcgiSocket = values["fcgi_socket"]
        fcgiThreads = try Self.int(values, "fcgi_threads", default: 32, range: 1...512)
        fcgiLongRequests = try Self.int(values, "fcgi_long_requests", default: 24, range: 1...512)
        fcgiLongPerUser = try Self.int(values, "fcgi_long_per_user", default: 6, range: 1...512)
        guard let mode = mode_t(values["fcgi_socket_mode"] ?? "660", radix: 8), mode <= 0o777 else {
            throw ConfigError("fcgi_socket_mode must be an octal mode such as 660")
        }
        fcgiSocketMode = mode
        sseSocket = values["sse_socket"] ?? dataDir + "/run/jarvis-sse.sock"
        accessTokenSeconds = try Self.int(values, "access_token_seconds", default: 900, range: 30...86400)
        refreshTokenSeconds = try Self.int(values, "refresh_token_seconds", default: 14 * 86400, range: 300...(365 * 86400))
        secureCookies = (values["secure_cookies"] ?? "true").lowercased() != "false"
        logLevel = values["log_level"] ?? "info"
        readOnly = (values["read_only"] ?? "false").lowercased() == "true"
        auditRetentionDays = try Self.int(values, "audit_retention_days", default: 90, range: 1...36500)
        statsInterval = try Self.int(values, "stats_interval", default: 10, range: 0...3600)
        statsMaxRate = try Self.int(values, "stats_max_rate", default: 30, range: 0...10000)
        terminalEnabled = (values["terminal_enabled"] ?? "true").lowercased() != "false"
        terminalIdleSeconds = try Self.int(values, "terminal_idle_seconds", default: 1800, range: 10...86400)
        taskConcurrency = try Self.int(values, "task_concurrency", default: 4, range: 1...64)
        artifactTTLHours = try Self.int(values, "artifact_ttl_hours", default: 24, range: 1...(24 * 365))
        uploadMaxBytes = Int64(try Self.int(values, "upload_max_bytes", default: 20 << 30, range: (1 << 20)...(1 << 42)))
        stacksDir = values["stacks_dir"] ?? "/opt/stacks"
        guard stacksDir.hasPrefix("/") else { throw ConfigError("stacks_dir must be an absolute path, got \(stacksDir)") }
        backupDir = values["backup_dir"] ?? dataDir + "/backups"
        backupKeep = try Self.int(values, "backup_keep", default: 7, range: 0...3650)
        hostCheckInterval = try Self.int(values, "host_check_interval", default: 60, range: 1...86400)
        hostCheckConcurrency = try Self.int(values, "host_check_concurrency", default: 10, range: 1...256)
        allowPlainTCP = (values["allow_plain_tcp"] ?? "false").lowercased() == "true"
        notifyRetrySeconds = try Self.int(values, "notify_retry_seconds", default: 30, range: 1...86400)
        notifyMaxAttempts = try Self.int(values, "notify_max_attempts", default: 5, range: 1...20)
        notifyCertificateDays = try Self.int(values, "notify_certificate_days", default: 30, range: 0...3650)
        notifyDiskBytes = Int64(try Self.int(values, "notify_disk_bytes", default: 0, range: 0...(1 << 60)))
        jobConcurrency = try Self.int(values, "job_concurrency", default: 50, range: 1...1000)
        updateCheckInterval = try Self.int(values, "update_check_interval", default: 6 * 3600, range: 0...(30 * 86400))
        updateSettleSeconds = try Self.int(values, "update_settle_seconds", default: 30, range: 1...3600)
        updateHealthTimeout = try Self.int(values, "update_health_timeout", default: 120, range: 1...3600)
        insecureRegistries = Set((values["insecure_registries"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })
        templatesDir = values["templates_dir"] ?? Self.defaultTemplatesDir()
        templateListMaxBytes = try Self.int(values, "template_list_max_bytes", default: 4 << 20, range: 1024...(64 << 20))
        templateRefreshHours = try Self.int(values, "template_refresh_hours", default: 24, range: 0...(24 * 365))
        self.source = source
    }

    /// `<prefix>/share/jarvis/templates` of an installed binary, or the repository's `templates/` for one run from `.build`.
    static func defaultTemplatesDir() -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "/").resolvingSymlinksInPath().deletingLastPathComponent().path
        let candidates = [executable + "/../share/jarvis/templates", executable + "/../../templates", executable + "/../../../templates",
                          FileManager.default.currentDirectoryPath + "/templates", "/usr/local/share/jarvis/templates", "/usr/share/jarvis/templates"]
        let found = candidates.first { FileManager.default.fileExists(atPath: $0 + "/postgres/compose.yaml") }
        return URL(fileURLWithPath: found ?? "/usr/local/share/jarvis/templates").standardizedFileURL.path
    }

    static func parse(_ text: String, path: String) throws -> [String: String] {
        var values: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError("\(path):\(number + 1): expected key = value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard keys.contains(key) else { throw ConfigError("\(path):\(number + 1): unknown key \(key)") }
            values[key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return values
    }

    private static func int(_ values: [String: String], _ key: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = values[key] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw ConfigError("\(key) must be a whole number in \(range.lowerBound)...\(range.upperBound), got \(text)")
        }
        return number
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
