import AsyncAlgorithms
import DockerEngine
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
        try await app.runService()
    }
}
