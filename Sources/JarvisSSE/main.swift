import Foundation
import JarvisCore
import Logging

// jarvis-sse: the long-lived process for streams (logs, engine events).
let config: JarvisConfig
do {
    config = try JarvisConfig.load(executableDirectory: (CommandLine.arguments[0] as NSString).deletingLastPathComponent)
} catch {
    FileHandle.standardError.write(Data("jarvis-sse: \(error)\n".utf8))
    exit(2)
}
JSONLogHandler.bootstrap(level: config.logLevel)
let logger = Logger(label: "jarvis.sse")
do {
    let environment = try await JarvisEnvironment.start(config: config, logger: logger)
    try environment.bootstrapAdmin()
    try await StreamServer(environment: environment, logger: logger).run()
} catch {
    logger.critical("jarvis-sse stopped", metadata: ["error": "\(error)"])
    exit(1)
}
