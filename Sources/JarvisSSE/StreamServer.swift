import AsyncAlgorithms
import DockerEngine
import JarvisStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import JarvisAPI
import JarvisCore
import Logging

/// The HTTP side of jarvis-sse: Hummingbird on a unix socket behind nginx.
struct StreamServer {
    let environment: JarvisEnvironment
    let logger: Logger

    /// jarvis-sse is the long-lived process, so it applies the audit retention (every 6 hours).
    static func purgeAuditPeriodically(_ environment: JarvisEnvironment, _ logger: Logger) async {
        while !Task.isCancelled {
            let cutoff = Date().addingTimeInterval(-Double(environment.config.auditRetentionDays) * 86400)
            do {
                let purged = try environment.database.purgeAudit(olderThan: cutoff)
                if purged > 0 { logger.info("audit retention purge", metadata: ["rows": "\(purged)"]) }
            } catch {
                logger.error("audit retention purge failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(nanoseconds: 6 * 3600 * 1_000_000_000)
        }
    }

    /// Daily backups with rotation (`backup_keep` > 0): one is due when the newest is a day old.
    static func backUpDaily(_ environment: JarvisEnvironment, _ logger: Logger) async {
        let rotation = BackupRotation(folder: environment.config.backupDir, keep: environment.config.backupKeep)
        guard rotation.keep > 0 else { return }
        while !Task.isCancelled {
            var wait = 3600.0
            let due = rotation.newest().map { $0.addingTimeInterval(86400) } ?? Date()
            if due <= Date() {
                do {
                    let info = try rotation.run(environment.database)
                    logger.info("backup written", metadata: ["path": "\(info.path)", "bytes": "\(info.bytes)"])
                    wait = 86400
                } catch {
                    logger.error("backup failed; trying again in an hour", metadata: ["error": "\(error)"])
                }
            } else {
                wait = min(due.timeIntervalSinceNow, 86400)
            }
            try? await Task.sleep(nanoseconds: UInt64(max(wait, 1) * 1_000_000_000))
        }
    }

    func run() async throws {
        let router = Hummingbird.Router()
        let authenticator = Authenticator(auth: environment.auth)
        let supervisor = HostSupervisor(environment: environment, logger: logger)
        let streams = StreamRoutes(hosts: environment.hosts, supervisor: supervisor, database: environment.database,
                                   authenticator: authenticator, logger: logger)
        let terminals = TerminalBridge(environment: environment, authenticator: authenticator, logger: logger)
        let runner = try TaskRunner(environment: environment, logger: logger)
        let taskStreams = TaskStreams(tasks: environment.tasks, changes: runner.changes, authenticator: authenticator)
        router.get("/api/v1/tasks/{id}/events") { request, context in
            try await taskStreams.events(request, id: context.parameters.require("id"))
        }
        // Every stream has its host-scoped form; the plain one is the default host.
        for prefix in ["/api/v1", "/api/v1/hosts/{host}"] {
            router.get(RouterPath(prefix + "/containers/{id}/logs/follow")) { request, context in
                try await streams.containerLogs(request, id: context.parameters.require("id"), host: context.parameters.get("host"))
            }
            router.get(RouterPath(prefix + "/stacks/{name}/logs/follow")) { request, context in
                try await streams.stackLogs(request, name: context.parameters.require("name"), host: context.parameters.get("host"))
            }
            router.get(RouterPath(prefix + "/events")) { request, context in
                try await streams.engineEvents(request, host: context.parameters.get("host"))
            }
        }
        router.get(RouterPath(TerminalBridge.path)) { request, _ in
            StreamRoutes.error(JarvisError(403, "terminal_refused",
                                           "open this as a WebSocket from this server's page, with an unused terminal token issued to your session"), request)
        }
        router.get("/metrics") { request, _ in
            // nginx passes the client's address; a request straight on the socket comes from this host.
            let peer = request.headers[HTTPField.Name("X-Forwarded-For")!]
            if peer != nil && !Observability.isLocal(peer) {
                do {
                    let principal = try await streams.authenticate(request)
                    guard principal.role >= .admin else { throw JarvisError.forbidden("metrics need the admin role") }
                } catch let error as JarvisError {
                    return StreamRoutes.error(error, request)
                }
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: Observability.text())))
        }
        router.get("/api/v1/streams/health") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok","engine_transfers":\#(DockerClient.activeTransfers)}"#)))
        }
        let path = environment.config.sseSocket
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        unlink(path)
        let app = Application(router: router,
                              server: .http1WebSocketUpgrade { request, _, _ in await terminals.shouldUpgrade(request) },
                              configuration: .init(address: .unixDomainSocket(path: path), serverName: nil),
                              onServerRunning: { _ in
                                  chmod(path, environment.config.fcgiSocketMode)
                                  logger.info("jarvis-sse listening", metadata: ["socket": "\(path)"])
                              }, logger: logger)
        let retention = Task.detached { [environment, logger] in await Self.purgeAuditPeriodically(environment, logger) }
        let backups = Task.detached { [environment, logger] in await Self.backUpDaily(environment, logger) }
        let supervising = Task.detached { await supervisor.run() }
        let running = Task.detached { await runner.run() }
        let dispatcher = try NotifyDispatcher.make(environment, logger: logger)
        let notifying = Task.detached { await dispatcher.run() }
        let scheduler = JobScheduler(environment: environment, logger: logger)
        let scheduling = Task.detached { await scheduler.run() }
        let updateWatch = UpdateWatch(environment: environment, logger: logger)
        let watchingUpdates = Task.detached { await updateWatch.run() }
        defer {
            retention.cancel(); backups.cancel(); supervising.cancel(); running.cancel(); notifying.cancel(); scheduling.cancel()
            watchingUpdates.cancel()
            // Nobody keeps the snapshot current any more: the list goes back to the engine at once.
            try? environment.database.markContainerMirrorStale()
        }
        try await app.runService()
    }
}
