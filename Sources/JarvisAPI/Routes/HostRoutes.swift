import Foundation
import JarvisCore
import JarvisStore

/// Hosts: everyone signed in sees them, operators may check one now, admins add, change, archive and delete.
enum HostRoutes {
    struct Items<Item: Encodable & Sendable>: Encodable, Sendable { let items: [Item] }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let hosts = environment.hostManagement
        let registry = environment.hosts
        @Sendable func target(_ context: RequestContext, action: String) throws -> HostRecord {
            let record = try registry.record(named: context.parameter("host"))
            context.audit = AuditEvent(action: action, resourceType: "host", resourceID: String(record.id), resourceName: record.name)
            return record
        }
        return [
            Route("GET", "/api/v1/hosts", access: .role(.viewer)) { context in
                try .json(Items(items: try hosts.list(includeArchived: try context.boolQuery("archived", default: false))))
            },
            Route("POST", "/api/v1/hosts/probe", access: .role(.admin), long: true) { context in
                try .json(try await hosts.probe(try context.decode(HostConnectRequest.self)))
            },
            Route("POST", "/api/v1/hosts", access: .role(.admin), audit: "host.create", long: true) { context in
                let request = try context.decode(HostCreateRequest.self)
                context.audit = AuditEvent(action: "host.create", resourceType: "host", resourceName: request.name,
                                           params: ["endpoint": request.endpoint])
                let created = try await hosts.add(request, by: context.principal!)
                context.audit?.resourceID = String(created.id)
                return try .json(created, status: 201)
            },
            Route("GET", "/api/v1/hosts/{host}", access: .role(.viewer)) { context in
                try .json(try hosts.view(try registry.record(named: context.parameter("host"))))
            },
            Route("PATCH", "/api/v1/hosts/{host}", access: .role(.admin), audit: "host.update", long: true) { context in
                let record = try target(context, action: "host.update")
                let patch = try context.decode(HostPatch.self)
                if let endpoint = patch.endpoint { context.audit?.params["endpoint"] = endpoint }
                return try .json(try await hosts.update(record, patch))
            },
            Route("DELETE", "/api/v1/hosts/{host}", access: .role(.admin), audit: "host.delete", readsBody: false) { context in
                let record = try target(context, action: "host.delete")
                try environment.confirmations.require(context.principal!, action: "host.delete", targets: [record.name],
                                                      summary: "delete host \(record.name) and its history (its engine is not touched)",
                                                      presented: context.request.header(ConfirmationService.header))
                try hosts.delete(record)
                return .noContent()
            },
            Route("POST", "/api/v1/hosts/{host}/archive", access: .role(.admin), audit: "host.archive", readsBody: false) { context in
                try .json(try hosts.archive(try target(context, action: "host.archive"), true))
            },
            Route("POST", "/api/v1/hosts/{host}/unarchive", access: .role(.admin), audit: "host.unarchive", readsBody: false) { context in
                try .json(try hosts.archive(try target(context, action: "host.unarchive"), false))
            },
            Route("POST", "/api/v1/hosts/{host}/check", access: .role(.operator_), audit: "host.check", long: true, readsBody: false) { context in
                let record = try target(context, action: "host.check")
                let checked = await hosts.check(record)
                return try .json(try hosts.view(checked.record))
            },
            Route("GET", "/api/v1/hosts/{host}/history", access: .role(.viewer)) { context in
                let record = try registry.record(named: context.parameter("host"))
                return try .json(Items(items: try hosts.history(record, limit: try context.intQuery("limit", default: 100, range: 1...1000))))
            },
            Route("GET", "/api/v1/overview", access: .role(.viewer)) { _ in
                try .json(["hosts": try hosts.overview()])
            },
        ]
    }
}
