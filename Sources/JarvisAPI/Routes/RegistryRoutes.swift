import JarvisCore

enum RegistryRoutes {
    struct SaveBody: Decodable {
        let registry: String
        let username: String
        let password: String
    }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        return [
            Route("GET", "/api/v1/registries", access: .role(.operator_)) { _ in
                try .json(["items": try environment.defaultHost().imageTasks.credentials()])
            },
            Route("POST", "/api/v1/registries", access: .role(.operator_), audit: "registry.save") { context in
                let body = try context.decode(SaveBody.self)
                context.audit = AuditEvent(action: "registry.save", resourceType: "registry", resourceName: body.registry,
                                           params: ["username": body.username])
                let saved = try environment.defaultHost().imageTasks.saveCredential(registry: body.registry, login: RegistryLogin(username: body.username, password: body.password),
                                                      by: context.principal!)
                context.audit?.resourceID = String(saved.id)
                return try .json(saved, status: 201)
            },
            Route("DELETE", "/api/v1/registries/{id}", access: .role(.operator_), audit: "registry.remove", readsBody: false) { context in
                context.audit = AuditEvent(action: "registry.remove", resourceType: "registry", resourceID: context.parameter("id"))
                guard let id = Int64(context.parameter("id")) else { throw JarvisError.notFound("no registry credential \(context.parameter("id").prefix(32))") }
                let removed = try environment.defaultHost().imageTasks.deleteCredential(id: id)
                context.audit?.resourceName = removed.registry
                return .noContent()
            },
        ]
    }
}
