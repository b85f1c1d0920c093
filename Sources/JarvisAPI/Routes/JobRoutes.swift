import Foundation
import JarvisCore
import Schedule

/// Scheduled jobs, their runs, and the trigger preview the form calls as the user types.
enum JobRoutes {
    struct PreviewBody: Decodable {
        let trigger: TriggerSpec
        let count: Int?
    }

    struct Page<Item: Encodable>: Encodable {
        let items: [Item]
        let total: Int
        let page: Int
        let pageSize: Int
    }

    static func id(_ context: RequestContext, _ what: String = "job") throws -> Int64 {
        guard let id = Int64(context.parameter("id")), id > 0 else { throw JarvisError.notFound("no \(what) \(context.parameter("id").prefix(32))") }
        return id
    }

    static func audit(_ context: RequestContext, _ action: String) {
        context.audit = AuditEvent(action: action, resourceType: "job", resourceID: context.parameters["id"])
    }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let jobs = environment.jobs
        return [
            Route("POST", "/api/v1/schedules/preview", access: .role(.viewer)) { context in
                let body = try context.decode(PreviewBody.self)
                let count = body.count ?? 5
                guard (1...50).contains(count) else { throw JarvisError.invalidField("count", "1 to 50") }
                return try .json(try jobs.preview(body.trigger, count: count))
            },
            Route("GET", "/api/v1/jobs", access: .role(.viewer)) { context in
                let page = try context.intQuery("page", default: 1, range: 1...1_000_000)
                let size = try context.intQuery("page_size", default: 50, range: 1...500)
                let (items, total) = try jobs.list(page: page, pageSize: size)
                return try .json(Page(items: items, total: total, page: page, pageSize: size))
            },
            Route("POST", "/api/v1/jobs", access: .role(.operator_), audit: "job.create") { context in
                audit(context, "job.create")
                let input = try context.decode(JobInput.self)
                context.audit?.resourceName = input.name
                context.audit?.params = ["kind": input.kind]
                let job = try jobs.create(input, by: context.principal!)
                context.audit?.resourceID = String(job.id)
                return try .json(job, status: 201)
            },
            Route("GET", "/api/v1/jobs/{id}", access: .role(.viewer)) { context in
                try .json(try jobs.get(try id(context)))
            },
            Route("PUT", "/api/v1/jobs/{id}", access: .role(.operator_), audit: "job.update") { context in
                audit(context, "job.update")
                let input = try context.decode(JobInput.self)
                context.audit?.resourceName = input.name
                context.audit?.params = ["kind": input.kind]
                return try .json(try jobs.update(try id(context), input, by: context.principal!))
            },
            Route("DELETE", "/api/v1/jobs/{id}", access: .role(.operator_), audit: "job.delete", readsBody: false) { context in
                audit(context, "job.delete")
                let deleted = try jobs.delete(try id(context), by: context.principal!)
                context.audit?.resourceName = deleted.name
                return .noContent()
            },
            Route("POST", "/api/v1/jobs/{id}/enable", access: .role(.operator_), audit: "job.enable", readsBody: false) { context in
                audit(context, "job.enable")
                let job = try jobs.setEnabled(try id(context), true, by: context.principal!)
                context.audit?.resourceName = job.name
                return try .json(job)
            },
            Route("POST", "/api/v1/jobs/{id}/disable", access: .role(.operator_), audit: "job.disable", readsBody: false) { context in
                audit(context, "job.disable")
                let job = try jobs.setEnabled(try id(context), false, by: context.principal!)
                context.audit?.resourceName = job.name
                return try .json(job)
            },
            Route("POST", "/api/v1/jobs/{id}/run", access: .role(.operator_), audit: "job.run", readsBody: false) { context in
                audit(context, "job.run")
                let run = try jobs.runNow(try id(context), by: context.principal!)
                context.audit?.params = ["run": String(run.id)]
                return try .json(run, status: 202)
            },
            Route("GET", "/api/v1/jobs/{id}/runs", access: .role(.viewer)) { context in
                let page = try context.intQuery("page", default: 1, range: 1...1_000_000)
                let size = try context.intQuery("page_size", default: 50, range: 1...500)
                let state = context.request.query["state"].flatMap { $0.isEmpty ? nil : $0 }
                let (items, total) = try jobs.runs(try id(context), state: state, page: page, pageSize: size)
                return try .json(Page(items: items, total: total, page: page, pageSize: size))
            },
            Route("GET", "/api/v1/job-runs/{id}", access: .role(.viewer)) { context in
                try .json(try jobs.run(try id(context, "job run")))
            },
        ]
    }
}
