import Compose
import Foundation
import JarvisCore
import JarvisStore

enum StackRoutes {
    struct StackList: Encodable {
        let items: [StackSummary]
        let root: String
        /// Cross-host lists: the hosts that were offline or did not answer.
        var skippedHosts: [String]?
    }
    struct Deleted: Encodable { let name: String; let movedTo: String }
    struct History: Encodable { let items: [TaskView]; let total: Int; let page: Int; let pageSize: Int }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        var routes = [
            Route("GET", "/api/v1/stacks", access: .role(.viewer), offlineReadable: true) { context in
                if context.request.query["host"] == "*" {
                    let (items, skipped) = try await environment.hostManagement.stacks()
                    return try .json(StackList(items: items, root: environment.config.stacksDir, skippedHosts: skipped))
                }
                try context.host.requireOnline()
                return try .json(StackList(items: try await context.host.stacks.list(), root: context.host.stacks.folder.root))
            },
            Route("POST", "/api/v1/stacks", access: .role(.operator_), audit: "stack.create") { context in
                let files = try context.decode(StackFiles.self)
                context.audit = AuditEvent(action: "stack.create", resourceType: "stack", resourceName: files.name)
                return try .json(try context.host.stacks.create(files, by: context.principal!), status: 201)
            },
            Route("GET", "/api/v1/stacks/{name}", access: .role(.viewer)) { context in
                let name = context.parameter("name")
                let secrets = environment.templates.secretKeys(hostID: context.host.record.id, stack: name)
                return try .json(try await context.host.stacks.document(name, role: context.principal!.role).maskingTemplateSecrets(secrets))
            },
            Route("PUT", "/api/v1/stacks/{name}", access: .role(.operator_), audit: "stack.save") { context in
                let name = context.parameter("name")
                context.audit = AuditEvent(action: "stack.save", resourceType: "stack", resourceName: name)
                var files = try context.decode(StackFiles.self)
                // A template's secrets come back masked from GET: the mask sent back keeps the value on disk.
                let secrets = environment.templates.secretKeys(hostID: context.host.record.id, stack: name)
                if !secrets.isEmpty, let env = files.env {
                    files.env = TemplateSecretMask.restore(env, current: try await context.host.stacks.document(name, role: .admin).env, keys: secrets)
                }
                return try .json(try await context.host.stacks.save(name, files, by: context.principal!).maskingTemplateSecrets(secrets))
            },
            Route("GET", "/api/v1/stacks/{name}/template", access: .role(.viewer)) { context in
                let name = context.parameter("name")
                _ = try context.host.stacks.folder.folder(name)
                guard let view = environment.templates.stackTemplate(hostID: context.host.record.id, stack: name, role: context.principal!.role) else {
                    throw JarvisError.notFound("stack \(name) was not deployed from a template")
                }
                return try .json(view)
            },
            Route("DELETE", "/api/v1/stacks/{name}", access: .role(.operator_), audit: "stack.delete", readsBody: false) { context in
                let name = context.parameter("name")
                context.audit = AuditEvent(action: "stack.delete", resourceType: "stack", resourceName: name)
                _ = try await context.host.stacks.document(name)
                try environment.confirmations.require(
                    context.principal!, action: "stack.delete", targets: [name],
                    summary: "delete stack \(name) (its folder is moved to .deleted in the stacks folder)",
                    presented: context.request.header(ConfirmationService.header))
                let movedTo = try await context.host.stacks.delete(name)
                try? environment.database.forgetStackTemplate(hostID: context.host.record.id, stack: name)
                return try .json(Deleted(name: name, movedTo: movedTo))
            },
            Route("POST", "/api/v1/stacks/{name}/adopt", access: .role(.admin), audit: "stack.adopt", readsBody: false) { context in
                let name = context.parameter("name")
                context.audit = AuditEvent(action: "stack.adopt", resourceType: "stack", resourceName: name)
                return try .json(try await context.host.stacks.adopt(name), status: 201)
            },
            Route("POST", "/api/v1/stacks/{name}/validate", access: .role(.operator_)) { context in
                try .json(try context.host.stacks.validate(context.parameter("name"), try context.decode(StackFiles.self)))
            },
            Route("GET", "/api/v1/stacks/{name}/plan", access: .role(.viewer)) { context in
                let text = context.request.query["operation"] ?? "up"
                guard let operation = StackOperation(rawValue: text) else {
                    throw JarvisError.badRequest("operation must be one of \(StackOperation.allCases.map(\.rawValue).joined(separator: ", "))",
                                                 code: "invalid_parameter")
                }
                let services = (context.request.query["services"] ?? "").split(separator: ",").map(String.init)
                let request = StackOperationRequest(services: services, removeVolumes: try context.boolQuery("remove_volumes", default: false),
                                                    renewAnonVolumes: try context.boolQuery("renew_anon_volumes", default: false))
                return try .json(try await context.host.stacks.plan(context.parameter("name"), operation: operation, request: request))
            },
            Route("GET", "/api/v1/stacks/{name}/services", access: .role(.viewer)) { context in
                try .json(try await context.host.stacks.services(context.parameter("name")))
            },
            Route("GET", "/api/v1/stacks/{name}/history", access: .role(.viewer)) { context in
                let page = try context.intQuery("page", default: 1, range: 1...1_000_000)
                let pageSize = try context.intQuery("page_size", default: 20, range: 1...200)
                let (items, total) = try context.host.stacks.history(context.parameter("name"), page: page, pageSize: pageSize)
                return try .json(History(items: items.map(TaskView.init), total: total, page: page, pageSize: pageSize))
            },
        ]
        for operation in StackOperation.allCases {
            routes.append(Route("POST", "/api/v1/stacks/{name}/\(operation.rawValue)", access: .role(.operator_),
                                audit: "stack.\(operation.rawValue)") { context in
                let name = context.parameter("name")
                let request = context.request.body.isEmpty ? StackOperationRequest() : try context.decode(StackOperationRequest.self)
                context.audit = AuditEvent(action: "stack.\(operation.rawValue)", resourceType: "stack", resourceName: name,
                                           params: ["services": (request.services ?? []).joined(separator: ","),
                                                    "remove_volumes": String(request.removeVolumes ?? false)])
                if operation == .down && request.removeVolumes == true {
                    _ = try await context.host.stacks.document(name)
                    try environment.confirmations.require(
                        context.principal!, action: "stack.down+volumes", targets: [name],
                        summary: "take stack \(name) down and delete its named volumes with their data",
                        presented: context.request.header(ConfirmationService.header))
                }
                // Stacks that running stacks require (`x-jarvis.requires`): 409 naming them, unless confirmed.
                try await context.host.stacks.refuseWhileDependentsRun(name, operation, confirmations: environment.confirmations,
                                                                      principal: context.principal!,
                                                                      presented: context.request.header(ConfirmationService.header))
                return try ImageRoutes.accepted(try await context.host.stacks.enqueue(name, operation, request, by: context.principal!), context)
            })
        }
        return routes
    }
}
