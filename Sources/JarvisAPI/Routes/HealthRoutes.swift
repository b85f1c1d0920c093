import JarvisCore

enum HealthRoutes {
    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        [
            Route("GET", "/api/v1/health", access: .open) { _ in
                let report = await HealthCheck.run(database: environment.database, docker: try environment.defaultHost().docker)
                return try .json(report, status: report.status == "ok" ? 200 : 503)
            },
        ]
    }
}
