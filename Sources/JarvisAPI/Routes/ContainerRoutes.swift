import JarvisCore

enum ContainerRoutes {
    struct ActionBody: Decodable { let timeout: Int?; let signal: String? }

    static let signals: Set<String> = ["SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "KILL", "TERM", "INT", "HUP"]

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let containers = environment.containers
        var routes = [
            Route("GET", "/api/v1/containers", access: .role(.viewer)) { context in
                let state = context.request.query["state"].flatMap { $0.isEmpty ? nil : $0 }
                if let state, !ContainerQuery.states.contains(state) {
                    throw JarvisError.badRequest("state must be one of \(ContainerQuery.states.sorted().joined(separator: ", "))",
                                                 code: "invalid_parameter")
                }
                let all = try context.boolQuery("all", default: true)
                let query = ContainerQuery(query: context.request.query["q"], state: state, all: all,
                                           page: try context.intQuery("page", default: 1, range: 1...1_000_000),
                                           pageSize: try context.intQuery("page_size", default: 50, range: 1...500))
                return try .json(try await containers.list(query))
            },
            Route("GET", "/api/v1/containers/{id}", access: .role(.viewer)) { context in
                try .json(ContainerDetailsView(try await containers.details(context.parameter("id"))))
            },
        ]
        for action in ContainerService.Action.allCases {
            routes.append(Route("POST", "/api/v1/containers/{id}/\(action.rawValue)", access: .role(.operator_),
                                audit: "container.\(action.rawValue)") { context in
                let id = context.parameter("id")
                context.audit = AuditEvent(action: "container.\(action.rawValue)", resourceType: "container", resourceID: id)
                let body = context.request.body.isEmpty ? ActionBody(timeout: nil, signal: nil) : try context.decode(ActionBody.self)
                // A request holds a worker while the engine waits: grace periods stay short here.
                if let timeout = body.timeout, !(0...60).contains(timeout) {
                    throw JarvisError.badRequest("timeout must be 0...60 seconds", code: "invalid_parameter")
                }
                if let signal = body.signal, !signals.contains(signal.uppercased()) {
                    throw JarvisError.badRequest("unknown signal \(signal)", code: "invalid_parameter")
                }
                var params: [String: String] = [:]
                if let timeout = body.timeout { params["timeout"] = String(timeout) }
                if let signal = body.signal { params["signal"] = signal.uppercased() }
                context.audit?.params = params
                let target = try await containers.perform(action, on: id, timeout: body.timeout, signal: body.signal?.uppercased())
                context.audit?.resourceID = target.id
                context.audit?.resourceName = target.displayName
                return try .json(ContainerDetailsView(try await containers.details(target.id)))
            })
        }
        return routes
    }
}
