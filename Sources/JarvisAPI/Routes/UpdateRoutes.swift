import JarvisCore
import JarvisStore

/// Image updates: the update list across hosts, checks, update and rollback tasks, policies and history.
/// Container and stack routes are host-scoped like every engine route; `/updates…` name the host in a filter.
enum UpdateRoutes {
    struct Queued: Encodable {
        let taskIds: [String]
        let tasks: [TaskView]
    }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let updates = environment.updates
        var routes = [
            Route("GET", "/api/v1/updates", access: .role(.viewer)) { context in
                let query = context.request.query
                return try .json(try updates.list(hostName: nonEmpty(query["host"]), state: nonEmpty(query["state"]),
                                                  stack: nonEmpty(query["stack"]),
                                                  page: try context.intQuery("page", default: 1, range: 1...100_000),
                                                  pageSize: try context.intQuery("page_size", default: 50, range: 1...500)))
            },
            Route("GET", "/api/v1/updates/history", access: .role(.viewer)) { context in
                let query = context.request.query
                return try .json(try updates.history(hostName: nonEmpty(query["host"]), container: nonEmpty(query["container"]),
                                                     stack: nonEmpty(query["stack"]),
                                                     page: try context.intQuery("page", default: 1, range: 1...100_000),
                                                     pageSize: try context.intQuery("page_size", default: 50, range: 1...500)))
            },
            Route("POST", "/api/v1/updates/check", access: .role(.operator_), audit: "update.check") { context in
                let body = context.request.body.isEmpty ? CheckRequest() : try context.decode(CheckRequest.self)
                context.audit = AuditEvent(action: "update.check", resourceType: "host", resourceName: body.host,
                                           params: ["container": body.container ?? "", "stack": body.stack ?? ""])
                return try ImageRoutes.accepted(try updates.check(body, by: context.principal!), context)
            },
            // Every container of a host with an update available: a batch that recreates containers, so confirmed.
            Route("POST", "/api/v1/updates/apply", access: .role(.operator_), audit: "update.apply") { context in
                struct Body: Decodable { let host: String? }
                let body = context.request.body.isEmpty ? Body(host: nil) : try context.decode(Body.self)
                let host = try environment.hosts.services(named: body.host)
                context.audit = AuditEvent(action: "update.apply", resourceType: "host", resourceID: String(host.record.id),
                                           resourceName: host.name)
                try host.requireOnline()
                let available = try updates.available(host: host)
                guard !available.isEmpty else {
                    throw JarvisError(409, "nothing_to_update", "no container on \(host.name) runs an image its registry has a newer one of (check first)")
                }
                let names = available.map(\.containerName)
                try environment.confirmations.require(
                    context.principal!, action: "update.apply", targets: [host.name] + available.map(\.containerID).sorted(),
                    summary: "update \(names.count) container(s) on \(host.name), each recreated with its new image "
                        + "(each one's previous container comes back when the new one is unhealthy): \(names.prefix(10).joined(separator: ", "))"
                        + (names.count > 10 ? " and \(names.count - 10) more" : ""),
                    presented: context.request.header(ConfirmationService.header))
                var queued: [TaskRecord] = []
                for row in available {
                    let tag = row.availableTag
                    queued.append(try await updates.update(row.containerID, UpdateRequest(tag: tag), host: host, by: context.principal!))
                }
                context.audit?.params = ["containers": String(queued.count)]
                return try .json(Queued(taskIds: queued.map(\.id), tasks: queued.map(TaskView.init)), status: 202)
            },
            Route("POST", "/api/v1/containers/{id}/update", access: .role(.operator_), audit: "container.update") { context in
                let body = context.request.body.isEmpty ? UpdateRequest() : try context.decode(UpdateRequest.self)
                context.audit = AuditEvent(action: "container.update", resourceType: "container", resourceID: context.parameter("id"),
                                           params: ["tag": body.tag ?? ""])
                let task = try await updates.update(context.parameter("id"), body, host: context.host, by: context.principal!)
                context.audit?.resourceName = task.target?.replacingOccurrences(of: "container:", with: "")
                return try ImageRoutes.accepted(task, context)
            },
            Route("POST", "/api/v1/containers/{id}/rollback", access: .role(.operator_), audit: "container.rollback") { context in
                let body = context.request.body.isEmpty ? RollbackRequest() : try context.decode(RollbackRequest.self)
                context.audit = AuditEvent(action: "container.rollback", resourceType: "container", resourceID: context.parameter("id"),
                                           params: ["history_id": body.historyId.map(String.init) ?? ""])
                let task = try await updates.rollback(context.parameter("id"), body, host: context.host, by: context.principal!)
                context.audit?.resourceName = task.target?.replacingOccurrences(of: "container:", with: "")
                return try ImageRoutes.accepted(task, context)
            },
            Route("GET", "/api/v1/containers/{id}/update-policy", access: .role(.viewer)) { context in
                let details = try await context.host.containers.details(context.parameter("id"))
                return try .json(try updates.policy(host: context.host, scope: "container", target: details.displayName,
                                                    labels: details.config.labels ?? [:],
                                                    stack: details.config.labels?["com.docker.compose.project"]))
            },
            Route("PUT", "/api/v1/containers/{id}/update-policy", access: .role(.operator_), audit: "update.policy") { context in
                let input = try context.decode(UpdatePolicyInput.self)
                let details = try await context.host.containers.details(context.parameter("id"))
                context.audit = AuditEvent(action: "update.policy", resourceType: "container", resourceID: details.id,
                                           resourceName: details.displayName, params: ["mode": input.mode])
                return try .json(try updates.setPolicy(host: context.host, scope: "container", target: details.displayName, input, by: context.principal!))
            },
            Route("DELETE", "/api/v1/containers/{id}/update-policy", access: .role(.operator_), audit: "update.policy_clear",
                  readsBody: false) { context in
                let details = try await context.host.containers.details(context.parameter("id"))
                context.audit = AuditEvent(action: "update.policy_clear", resourceType: "container", resourceID: details.id,
                                           resourceName: details.displayName)
                try updates.clearPolicy(host: context.host, scope: "container", target: details.displayName)
                return .noContent()
            },
            Route("POST", "/api/v1/stacks/{name}/update", access: .role(.operator_), audit: "stack.update") { context in
                let name = context.parameter("name")
                let body = context.request.body.isEmpty ? StackOperationRequest() : try context.decode(StackOperationRequest.self)
                context.audit = AuditEvent(action: "stack.update", resourceType: "stack", resourceName: name,
                                           params: ["services": (body.services ?? []).joined(separator: ",")])
                try context.host.requireOnline()
                return try ImageRoutes.accepted(try await context.host.stacks.enqueueUpdate(name, body, by: context.principal!), context)
            },
            Route("GET", "/api/v1/stacks/{name}/update-policy", access: .role(.viewer)) { context in
                let name = context.parameter("name")
                _ = try await context.host.stacks.document(name)
                return try .json(try updates.policy(host: context.host, scope: "stack", target: name))
            },
            Route("PUT", "/api/v1/stacks/{name}/update-policy", access: .role(.operator_), audit: "update.policy") { context in
                let name = context.parameter("name")
                let input = try context.decode(UpdatePolicyInput.self)
                context.audit = AuditEvent(action: "update.policy", resourceType: "stack", resourceName: name, params: ["mode": input.mode])
                _ = try await context.host.stacks.document(name)
                return try .json(try updates.setPolicy(host: context.host, scope: "stack", target: name, input, by: context.principal!))
            },
            Route("DELETE", "/api/v1/stacks/{name}/update-policy", access: .role(.operator_), audit: "update.policy_clear",
                  readsBody: false) { context in
                let name = context.parameter("name")
                context.audit = AuditEvent(action: "update.policy_clear", resourceType: "stack", resourceName: name)
                try updates.clearPolicy(host: context.host, scope: "stack", target: name)
                return .noContent()
            },
        ]
        // The host default: what every container without a policy of its own (or of its stack) follows.
        routes += [
            Route("GET", "/api/v1/hosts/{name}/update-policy", access: .role(.viewer)) { context in
                try .json(try updates.policy(host: try environment.hosts.services(named: context.parameter("name")), scope: "host", target: ""))
            },
            Route("PUT", "/api/v1/hosts/{name}/update-policy", access: .role(.admin), audit: "update.policy") { context in
                let input = try context.decode(UpdatePolicyInput.self)
                let host = try environment.hosts.services(named: context.parameter("name"))
                context.audit = AuditEvent(action: "update.policy", resourceType: "host", resourceID: String(host.record.id),
                                           resourceName: host.name, params: ["mode": input.mode])
                return try .json(try updates.setPolicy(host: host, scope: "host", target: "", input, by: context.principal!))
            },
        ]
        return routes
    }

    static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
