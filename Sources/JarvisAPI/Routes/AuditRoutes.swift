import JarvisCore
import JarvisStore

enum AuditRoutes {
    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        [
            Route("GET", "/api/v1/audit-logs", access: .role(.admin)) { context in
                let page = try context.intQuery("page", default: 1, range: 1...1_000_000)
                let pageSize = try context.intQuery("page_size", default: 50, range: 1...500)
                let query = AuditQuery(action: context.request.query["action"].flatMap { $0.isEmpty ? nil : $0 },
                                       username: context.request.query["user"].flatMap { $0.isEmpty ? nil : $0 },
                                       page: page, pageSize: pageSize)
                let result = try environment.audit.list(query)
                return try .json(Page(items: result.items, total: result.total, page: page, pageSize: pageSize))
            },
        ]
    }
}
