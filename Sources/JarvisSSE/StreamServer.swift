import AsyncAlgorithms
import DockerEngine
import JarvisStore
import Foundation
import HTTPTypes
import Hummingbird
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

    func run() async throws {
        let router = Hummingbird.Router()
        let authenticator = Authenticator(auth: environment.auth)
        let streams = StreamRoutes(docker: environment.docker, authenticator: authenticator, logger: logger)
        router.get("/api/v1/containers/{id}/logs") { request, context in
            try await streams.containerLogs(request, id: context.parameters.require("id"))
        }
        router.get("/api/v1/events") { request, _ in try await streams.engineEvents(request) }
        router.get("/api/v1/streams/health") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok","engine_transfers":\#(DockerClient.activeTransfers)}"#)))
        }
        let path = environment.config.sseSocket
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        unlink(path)
        let app = Application(router: router, configuration: .init(address: .unixDomainSocket(path: path), serverName: nil),
                              onServerRunning: { _ in
                                  chmod(path, environment.config.fcgiSocketMode)
                                  logger.info("jarvis-sse listening", metadata: ["socket": "\(path)"])
                              }, logger: logger)
        let retention = Task.detached { [environment, logger] in await Self.purgeAuditPeriodically(environment, logger) }
        defer { retention.cancel() }
        try await app.runService()
    }
}
