import Foundation
import Logging

/// What every Jarvis executable does first: read the configuration (exit 2
/// with a one-line reason if it is invalid) and install JSON logging.
public func startProcess(_ name: String) -> (config: JarvisConfig, logger: Logger) {
    let config: JarvisConfig
    do {
        config = try JarvisConfig.load(executableDirectory: (CommandLine.arguments[0] as NSString).deletingLastPathComponent)
    } catch {
        FileHandle.standardError.write(Data("\(name): \(error)\n".utf8))
        exit(2)
    }
    JSONLogHandler.bootstrap(level: config.logLevel)
    return (config, Logger(label: name))
}
