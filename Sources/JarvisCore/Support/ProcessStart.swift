import CMalloc
import Foundation
import Logging

/// What every Jarvis executable does first: read the configuration (exit 2
/// with a one-line reason if it is invalid) and install JSON logging.
public func startProcess(_ name: String) -> (config: JarvisConfig, logger: Logger) {
    Memory.limitArenas()
    let config: JarvisConfig
    do {
        config = try JarvisConfig.load(executableDirectory: (CommandLine.arguments[0] as NSString).deletingLastPathComponent)
    } catch {
        FileHandle.standardError.write(Data("\(name): \(error)\n".utf8))
        exit(2)
    }
    JSONLogHandler.bootstrap(level: config.logLevel)
    Observability.bootstrap()
    return (config, Logger(label: name))
}

/// glibc gives every thread that allocates its own arena (up to 8 per core) and
/// keeps freed memory in each; two arenas keep a long-running server's resident
/// size close to what it uses. `trim()` hands free heap pages back after bursts.
public enum Memory {
    public static func limitArenas() { jarvis_malloc_limit_arenas(2) }

    public static func trim() { jarvis_malloc_trim() }
}
