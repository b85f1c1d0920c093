import Foundation
import JarvisCore

/// A Jarvis environment on a fresh data folder whose engine socket does not exist, with `admin` created.
enum TestEnvironment {
    static func start(_ prefix: String, adminPassword: String = "admin password one", config text: String = "",
                      checking check: (JarvisConfig) throws -> Void = { _ in }) async throws -> JarvisEnvironment {
        let dir = NSTemporaryDirectory() + "jarvis-\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/jarvis.conf", atomically: true, encoding: .utf8)
        let config = try JarvisConfig.load(environment: ["JARVIS_CONFIG": dir + "/jarvis.conf", "JARVIS_DATA_DIR": dir,
                                                         "JARVIS_DOCKER_HOST": "unix://\(dir)/no-engine.sock"])
        try check(config)
        let environment = try await JarvisEnvironment.start(config: config, logger: .init(label: "test"))
        try environment.bootstrapAdmin(environment: ["JARVIS_ADMIN_PASSWORD": adminPassword])
        return environment
    }
}
