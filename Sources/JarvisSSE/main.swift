import Foundation
import JarvisCore

// jarvis-sse: the long-lived process for streams (logs, engine events).
let (config, logger) = startProcess("jarvis-sse")
do {
    let environment = try await JarvisEnvironment.start(config: config, logger: logger)
    try environment.bootstrapAdmin()
    Task.detached { await AuditHeadPublisher(database: environment.database, logger: logger).run() }
    Task.detached { await AuditChainWatch(database: environment.database, logger: logger).run() }
    // Template lists added by URL are fetched again on a schedule (a failed fetch keeps the last good copy).
    if config.templateRefreshHours > 0 {
        Task.detached {
            while true {
                try? await Task.sleep(nanoseconds: UInt64(config.templateRefreshHours) * 3_600_000_000_000)
                await environment.templates.refreshAll()
            }
        }
    }
    try await StreamServer(environment: environment, logger: logger).run()
} catch {
    logger.critical("jarvis-sse stopped", metadata: ["error": "\(error)"])
    exit(1)
}
