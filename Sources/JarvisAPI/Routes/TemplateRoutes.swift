import Foundation
import JarvisCore

/// The app template catalog (`/api/v1/templates`) and the admin's imported lists (`/api/v1/template-sources`).
/// Deploys name their host in the body (`host`, default host when absent), so these routes are not host-scoped.
enum TemplateRoutes {
    struct TemplateList: Encodable {
        let items: [TemplateSummary]
        let total: Int
        let categories: [String]
        let sources: [String]
    }
    struct Deployed: Encodable {
        let taskId: String
        let task: TaskView
        let stack: String
        let host: String
        let templateId: String
        let templateVersion: String
    }
    struct SourceList: Encodable { let items: [TemplateSourceView] }
    struct ImportRequest: Decodable {
        let name: String?
        /// The Portainer list's text (the uploaded file as it is).
        let content: String?
        /// Or where to fetch it (again on jarvis-sse's schedule).
        let url: String?
    }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let templates = environment.templates
        return [
            Route("GET", "/api/v1/templates", access: .role(.viewer)) { context in
                let query = context.request.query
                let role = context.principal!.role
                let all = templates.list(q: nil, category: nil, source: nil, role: role)
                let items = templates.list(q: query["q"].flatMap { $0.isEmpty ? nil : $0 }, category: query["category"].flatMap { $0.isEmpty ? nil : $0 },
                                           source: query["source"].flatMap { $0.isEmpty ? nil : $0 }, role: role)
                return try .json(TemplateList(items: items, total: items.count, categories: Set(all.flatMap(\.categories)).sorted(),
                                              sources: Array(NSOrderedSet(array: all.map(\.source))).compactMap { $0 as? String }))
            },
            Route("GET", "/api/v1/templates/{id}", access: .role(.viewer)) { context in
                try .json(try templates.template(context.parameter("id"), role: context.principal!.role))
            },
            Route("POST", "/api/v1/templates/{id}/deploy", access: .role(.operator_), audit: "template.deploy") { context in
                let id = context.parameter("id")
                let request = try context.decode(TemplateDeployRequest.self)
                // Values are not audited: some are secrets; the template and the stack say what was done.
                context.audit = AuditEvent(action: "template.deploy", resourceType: "stack", resourceName: request.stack,
                                           params: ["template": String(id.prefix(128)), "host": request.host ?? ""])
                let deployed = try await templates.deploy(id, request, by: context.principal!)
                context.audit?.resourceName = deployed.stack
                context.audit?.params["host"] = deployed.host
                context.audit?.params["task"] = deployed.task.id
                var response = try HTTPResponse.json(Deployed(taskId: deployed.task.id, task: TaskView(deployed.task), stack: deployed.stack,
                                                              host: deployed.host, templateId: deployed.template.id,
                                                              templateVersion: deployed.template.version), status: 202)
                response.headers.append(("Location", "/api/v1/tasks/\(deployed.task.id)"))
                return response
            },
            Route("GET", "/api/v1/template-sources", access: .role(.admin)) { _ in
                try .json(SourceList(items: try templates.sources()))
            },
            Route("POST", "/api/v1/template-sources", access: .role(.admin), audit: "template_source.add", long: true) { context in
                let request = try context.decode(ImportRequest.self)
                context.audit = AuditEvent(action: "template_source.add", resourceType: "template_source", resourceName: request.name)
                guard let name = request.name, !name.isEmpty else { throw JarvisError.invalidField("name", "name the list") }
                if let url = request.url, !url.isEmpty {
                    guard request.content == nil else { throw JarvisError.invalidField("content", "give either url or content") }
                    return try .json(try await templates.addSource(name: name, url: url, by: context.principal!), status: 201)
                }
                guard let content = request.content, !content.isEmpty else {
                    throw JarvisError.invalidField("content", "the Portainer template list (JSON) as text, or a url")
                }
                return try .json(try templates.importList(name: name, data: Data(content.utf8), by: context.principal!), status: 201)
            },
            Route("GET", "/api/v1/template-sources/{id}", access: .role(.admin)) { context in
                try .json(try templates.source(try sourceID(context)))
            },
            Route("POST", "/api/v1/template-sources/{id}/refresh", access: .role(.admin), audit: "template_source.refresh", long: true,
                  readsBody: false) { context in
                let id = try sourceID(context)
                context.audit = AuditEvent(action: "template_source.refresh", resourceType: "template_source", resourceID: String(id))
                return try .json(try await templates.refresh(id))
            },
            Route("DELETE", "/api/v1/template-sources/{id}", access: .role(.admin), audit: "template_source.remove", readsBody: false) { context in
                let id = try sourceID(context)
                context.audit = AuditEvent(action: "template_source.remove", resourceType: "template_source", resourceID: String(id))
                try templates.removeSource(id)
                return HTTPResponse(status: 204)
            },
        ]
    }

    static func sourceID(_ context: RequestContext) throws -> Int64 {
        guard let id = Int64(context.parameter("id")), id > 0 else { throw JarvisError.notFound("no template source \(context.parameter("id").prefix(64))") }
        return id
    }
}
