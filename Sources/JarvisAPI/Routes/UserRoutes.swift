import JarvisCore

enum UserRoutes {
    struct CreateBody: Decodable { let username: String; let password: String; let role: String }
    struct UpdateBody: Decodable { let role: String?; let disabled: Bool? }
    struct PasswordBody: Decodable { let password: String }
    struct OwnPasswordBody: Decodable { let currentPassword: String; let newPassword: String }

    static func userID(_ context: RequestContext) throws -> Int64 {
        guard let id = Int64(context.parameter("id")), id > 0 else { throw JarvisError.notFound("no user \(context.parameter("id"))") }
        return id
    }

    static func audit(_ context: RequestContext, _ action: String, _ user: UserView?, id: Int64? = nil) {
        context.audit = AuditEvent(action: action, resourceType: "user", resourceID: (user?.id ?? id).map { String($0) },
                                   resourceName: user?.username)
    }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let users = environment.users
        return [
            Route("GET", "/api/v1/users", access: .role(.admin)) { _ in
                let items = try users.list()
                return try .json(Page(items: items, total: items.count, page: 1, pageSize: max(items.count, 1)))
            },
            Route("POST", "/api/v1/users", access: .role(.admin), audit: "user.create") { context in
                let body = try context.decode(CreateBody.self)
                context.audit = AuditEvent(action: "user.create", resourceType: "user", resourceName: body.username,
                                           params: ["role": body.role])
                let user = try users.create(username: body.username, password: body.password, role: body.role)
                audit(context, "user.create", user)
                context.audit?.params = ["role": user.role]
                return try .json(user, status: 201)
            },
            Route("PATCH", "/api/v1/users/{id}", access: .role(.admin), audit: "user.update") { context in
                let id = try userID(context)
                audit(context, "user.update", nil, id: id)
                let body = try context.decode(UpdateBody.self)
                var params: [String: String] = [:]
                if let role = body.role { params["role"] = role }
                if let disabled = body.disabled { params["disabled"] = String(disabled) }
                context.audit?.params = params
                let user = try users.update(id, role: body.role, disabled: body.disabled, by: context.principal!)
                context.audit?.resourceName = user.username
                return try .json(user)
            },
            Route("POST", "/api/v1/users/{id}/password", access: .role(.admin), audit: "user.password_reset") { context in
                let id = try userID(context)
                audit(context, "user.password_reset", nil, id: id)
                let body = try context.decode(PasswordBody.self)
                context.audit?.resourceName = try users.get(id).username
                try users.resetPassword(id, to: body.password)
                return .noContent()
            },
            Route("DELETE", "/api/v1/users/{id}", access: .role(.admin), audit: "user.delete", readsBody: false) { context in
                let id = try userID(context)
                audit(context, "user.delete", nil, id: id)
                let user = try users.deletable(id, by: context.principal!)
                context.audit?.resourceName = user.username
                try environment.confirmations.require(context.principal!, action: "user.delete", targets: [String(id)],
                                                      summary: "delete user \(user.username) (\(user.role)) and end their sessions",
                                                      presented: context.request.header(ConfirmationService.header))
                try users.delete(id, by: context.principal!)
                return .noContent()
            },
            Route("POST", "/api/v1/auth/password", access: .role(.viewer), audit: "auth.password_change") { context in
                let body = try context.decode(OwnPasswordBody.self)
                context.audit = AuditEvent(action: "auth.password_change", resourceType: "user",
                                           resourceID: context.principal.map { String($0.userID) }, resourceName: context.principal?.username)
                try users.changeOwnPassword(context.principal!, current: body.currentPassword, new: body.newPassword)
                return .noContent()
            },
        ]
    }
}
