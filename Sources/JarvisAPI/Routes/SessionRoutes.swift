import JarvisCore
import JarvisStore

/// Sessions: your own (list, end one, end all others), and an admin ending someone's.
enum SessionRoutes {
    struct SessionView: Encodable {
        let id: String
        let startedAt: String
        let lastUsedAt: String
        let ip: String?
        let userAgent: String?
        let current: Bool
    }

    struct Revoked: Encodable { let revoked: Int }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let database = environment.database
        return [
            Route("GET", "/api/v1/auth/sessions", access: .role(.viewer)) { context in
                let principal = context.principal!
                let items = try database.activeSessions(userID: principal.userID).map {
                    SessionView(id: $0.familyID, startedAt: $0.startedAt, lastUsedAt: $0.lastUsedAt, ip: $0.ip,
                                userAgent: $0.userAgent, current: $0.familyID == principal.sessionID)
                }
                return try .json(Page(items: items, total: items.count, page: 1, pageSize: max(items.count, 1)))
            },
            Route("DELETE", "/api/v1/auth/sessions/{id}", access: .role(.viewer), audit: "auth.session_revoke", readsBody: false) { context in
                let principal = context.principal!
                context.audit = AuditEvent(action: "auth.session_revoke", resourceType: "session", resourceID: context.parameter("id"),
                                           resourceName: principal.username)
                guard try database.revokeSession(userID: principal.userID, familyID: context.parameter("id")) else {
                    throw JarvisError.notFound("no active session \(context.parameter("id"))")
                }
                return .noContent()
            },
            Route("POST", "/api/v1/auth/sessions/revoke-others", access: .role(.viewer), audit: "auth.session_revoke_others", readsBody: false) { context in
                let principal = context.principal!
                context.audit = AuditEvent(action: "auth.session_revoke_others", resourceType: "user",
                                           resourceID: String(principal.userID), resourceName: principal.username)
                return try .json(Revoked(revoked: try database.revokeSessions(userID: principal.userID, keeping: principal.sessionID)))
            },
            Route("DELETE", "/api/v1/users/{id}/sessions", access: .role(.admin), audit: "user.sessions_revoke", readsBody: false) { context in
                let id = try UserRoutes.userID(context)
                let user = try environment.users.get(id)
                context.audit = AuditEvent(action: "user.sessions_revoke", resourceType: "user", resourceID: String(id),
                                           resourceName: user.username)
                return try .json(Revoked(revoked: try database.revokeSessions(userID: id)))
            },
        ]
    }
}
