import DockerEngine
import JarvisCore

/// `/api/v1/networks`: list, inspect, create, connect, disconnect, remove, prune (host-scoped).
enum NetworkRoutes {
    struct Pruned: Encodable { let removed: [String] }

    static func service(_ context: RequestContext) -> NetworkService { NetworkService(docker: context.host.docker) }

    static func listQuery(_ context: RequestContext) throws -> NetworkQuery {
        let parameters = context.request.query
        let sortText = parameters["sort"].flatMap { $0.isEmpty ? nil : $0 } ?? "name"
        guard let sort = NetworkQuery.Sort(rawValue: sortText) else {
            throw JarvisError.badRequest("sort must be one of \(NetworkQuery.Sort.allCases.map(\.rawValue).joined(separator: ", "))",
                                         code: "invalid_parameter")
        }
        let order = parameters["order"] ?? "asc"
        guard ["asc", "desc", ""].contains(order) else { throw JarvisError.badRequest("order must be asc or desc", code: "invalid_parameter") }
        let dangling: Bool? = (parameters["dangling"] ?? "").isEmpty ? nil : try context.boolQuery("dangling", default: false)
        return NetworkQuery(text: parameters["q"], driver: parameters["driver"], scope: parameters["scope"], stack: parameters["stack"],
                            dangling: dangling, sort: sort, descending: order == "desc",
                            page: try context.intQuery("page", default: 1, range: 1...1_000_000),
                            pageSize: try context.intQuery("page_size", default: 50, range: 1...500))
    }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        [
            Route("GET", "/api/v1/networks", access: .role(.viewer), offlineReadable: true) { context in
                let query = try listQuery(context)
                if context.request.query["host"] == "*" { return try .json(try await environment.hostManagement.networks(query)) }
                try context.host.requireOnline()
                return try .json(try await service(context).list(query))
            },
            Route("POST", "/api/v1/networks", access: .role(.operator_), audit: "network.create") { context in
                let request = try context.decode(NetworkCreateRequest.self)
                let driver = request.driver ?? "bridge"
                context.audit = AuditEvent(action: "network.create", resourceType: "network", resourceName: request.name,
                                           params: ["driver": driver, "subnets": (request.ipam?.config ?? []).compactMap(\.subnet).joined(separator: ",")])
                // Early, on the field; the engine client's host-access policy is the guarantee.
                if !["", "bridge"].contains(driver), context.principal?.role != .admin {
                    throw JarvisError(403, "host_access_denied", "driver: \(driver) networks reach the host's LAN or swarm and need the admin role")
                        .field("driver")
                }
                let created = try await service(context).create(request)
                context.audit?.resourceID = created.id
                return try .json(created, status: 201)
            },
            Route("POST", "/api/v1/networks/prune", access: .role(.operator_), audit: "network.prune", long: true, readsBody: false) { context in
                context.audit = AuditEvent(action: "network.prune", resourceType: "network")
                let plan = try await service(context).prunePlan()
                var summary = "remove \(plan.networks.count) unused network(s)"
                if !plan.networks.isEmpty { summary += ": " + plan.networks.map(\.name).sorted().joined(separator: ", ") }
                if !plan.referencedByStopped.isEmpty {
                    summary += "; stopped containers still name \(plan.referencedByStopped.joined(separator: ", ")) and will not start without them"
                }
                try environment.confirmations.require(context.principal!, action: "network.prune", targets: plan.networks.map(\.id),
                                                      summary: summary, presented: context.request.header(ConfirmationService.header))
                let removed = try await service(context).prune()
                context.audit?.params = ["removed": removed.sorted().joined(separator: ",")]
                return try .json(Pruned(removed: removed.sorted()))
            },
            Route("GET", "/api/v1/networks/{id}", access: .role(.viewer)) { context in
                try .json(try await service(context).find(context.parameter("id")))
            },
            Route("DELETE", "/api/v1/networks/{id}", access: .role(.operator_), audit: "network.remove", readsBody: false) { context in
                context.audit = AuditEvent(action: "network.remove", resourceType: "network", resourceID: context.parameter("id"))
                let network = try await service(context).find(context.parameter("id"))
                context.audit?.resourceID = network.id
                context.audit?.resourceName = network.name
                try await service(context).remove(network)
                return .noContent()
            },
            Route("POST", "/api/v1/networks/{id}/connect", access: .role(.operator_), audit: "network.connect") { context in
                let request = try context.decode(NetworkConnectRequest.self)
                context.audit = AuditEvent(action: "network.connect", resourceType: "network", resourceID: context.parameter("id"),
                                           params: ["container": request.container, "aliases": (request.aliases ?? []).joined(separator: ","),
                                                    "ipv4_address": request.ipv4Address ?? "", "ipv6_address": request.ipv6Address ?? ""])
                let network = try await service(context).find(context.parameter("id"))
                context.audit?.resourceID = network.id
                context.audit?.resourceName = network.name
                try await service(context).connect(network, request)
                return try .json(try await service(context).find(network.id))
            },
            Route("POST", "/api/v1/networks/{id}/disconnect", access: .role(.operator_), audit: "network.disconnect") { context in
                let request = try context.decode(NetworkDisconnectRequest.self)
                context.audit = AuditEvent(action: "network.disconnect", resourceType: "network", resourceID: context.parameter("id"),
                                           params: ["container": request.container, "force": String(request.force ?? false)])
                let network = try await service(context).find(context.parameter("id"))
                context.audit?.resourceID = network.id
                context.audit?.resourceName = network.name
                try await service(context).disconnect(network, request)
                return try .json(try await service(context).find(network.id))
            },
        ]
    }
}
