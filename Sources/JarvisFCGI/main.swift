import Foundation
import JarvisAPI
import JarvisCore
import Logging

// jarvis-fcgi: the FastCGI responder for every short /api/v1 request.
// Everything lives in a function: top-level globals read from other threads
// (the start-up task below) are not safe to share.
func runFastCGI() -> Never {
    let (config, logger) = startProcess("jarvis-fcgi")
    let server: FastCGIServer
    do {
        let environment = try Blocking.run { () -> Result<JarvisEnvironment, Error> in
            do { return .success(try await JarvisEnvironment.start(config: config, logger: logger)) } catch { return .failure(error) }
        }.get()
        try environment.bootstrapAdmin()
        server = try FastCGIServer(api: JarvisAPI(environment: environment), config: config, logger: logger)
    } catch {
        logger.critical("start-up failed", metadata: ["error": "\(error)"])
        exit(1)
    }

    // Our own handlers replace libfcgi's flag-only ones: stop accepting, finish requests in flight, exit.
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
    signal(SIGPIPE, SIG_IGN)
    let sources = [SIGTERM, SIGINT].map { number in
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { server.stop() }
        source.resume()
        return source
    }
    server.run()
    withExtendedLifetime(sources) {}
    exit(0)
}

runFastCGI()
