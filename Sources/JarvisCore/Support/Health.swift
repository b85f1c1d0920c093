import DockerEngine
import JarvisStore

/// What `GET /api/v1/health` reports.
public struct HealthReport: Encodable, Sendable {
    public let status: String
    public let store: Component
    public let engine: Component

    public struct Component: Encodable, Sendable {
        public let ok: Bool
        public let version: String?
        public let apiVersion: String?
        public let error: String?
    }
}

public enum HealthCheck {
    public static func run(database: AppDatabase, docker: DockerClient) async -> HealthReport {
        let store = HealthReport.Component(ok: database.isReachable(), version: nil, apiVersion: nil, error: nil)
        let engine: HealthReport.Component
        do {
            let version = try await docker.version()
            engine = .init(ok: true, version: version.version, apiVersion: try await docker.apiVersion().description, error: nil)
        } catch {
            engine = .init(ok: false, version: nil, apiVersion: nil, error: "\(error)")
        }
        return HealthReport(status: store.ok && engine.ok ? "ok" : "degraded", store: store, engine: engine)
    }
}
