import Foundation
import JarvisCore

// jarvis-sse: the long-lived process for streams (logs, engine events).
let (config, logger) = startProcess("jarvis-sse")
do {
    let environment = try await JarvisEnvironment.start(config: config, logger: logger)
    try environment.bootstrapAdmin()
    Task.detached { await AuditHeadPublisher(database: environment.database, logger: logger).run() }
    Task.detached { await AuditChainWatch(database: environment.database, logger: logger).run() }
    try await StreamServer(environment: environment, logger: logger).run()
} catch {
    logger.critical("jarvis-sse stopped", metadata: ["error": "\(error)"])
    exit(1)
}
