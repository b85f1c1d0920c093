import Foundation
import JarvisCore
import JarvisStore

enum AuditRoutes {
    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        [
            Route("GET", "/api/v1/audit-logs", access: .role(.admin)) { context in
                var query = try auditQuery(context)
                query.page = try context.intQuery("page", default: 1, range: 1...1_000_000)
                query.pageSize = try context.intQuery("page_size", default: 50, range: 1...500)
                let result = try environment.audit.list(query)
                return try .json(Page(items: result.items, total: result.total, page: query.page, pageSize: query.pageSize))
            },
            Route("GET", "/api/v1/audit-logs/export", access: .role(.admin), long: true) { context in
                let query = try auditQuery(context)
                let format = context.request.query["format"] ?? "csv"
                guard ["csv", "json"].contains(format) else {
                    throw JarvisError.badRequest("format must be csv or json", code: "invalid_parameter")
                }
                var response = HTTPResponse(status: 200, headers: [
                    ("Content-Type", format == "csv" ? "text/csv; charset=utf-8" : "application/json"),
                    ("Content-Disposition", "attachment; filename=\"jarvis-audit.\(format)\""),
                ])
                let audit = environment.audit
                response.stream = { write in
                    if format == "csv" {
                        try write(Array((AuditExport.csvHeader + "\n").utf8))
                        try audit.forEach(query) { try write(Array((AuditExport.csvLine($0) + "\n").utf8)) }
                    } else {
                        try write(Array("[".utf8))
                        var first = true
                        try audit.forEach(query) { entry in
                            try write(Array(((first ? "\n" : ",\n") + String(decoding: try JSONCoding.encoder.encode(entry), as: UTF8.self)).utf8))
                            first = false
                        }
                        try write(Array("\n]\n".utf8))
                    }
                }
                return response
            },
        ]
    }

    static func auditQuery(_ context: RequestContext) throws -> AuditQuery {
        let q = context.request.query
        func value(_ name: String) -> String? { q[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let result = value("result"), !["success", "failure"].contains(result) {
            throw JarvisError.badRequest("result must be success or failure", code: "invalid_parameter")
        }
        for bound in ["from", "to"] {
            if let text = value(bound), Timestamp.date(text) == nil {
                throw JarvisError.badRequest("\(bound) must be an RFC 3339 time such as 2026-01-31T00:00:00Z", code: "invalid_parameter")
            }
        }
        // Stored times are UTC with milliseconds; normalise the bounds the same way so text comparison holds.
        let normalise = { (text: String?) in text.flatMap(Timestamp.date).map { Timestamp.string($0) } }
        return AuditQuery(action: value("action"), username: value("user"), resourceType: value("resource_type"),
                          result: value("result"), ip: value("ip"), from: normalise(value("from")), to: normalise(value("to")),
                          text: value("q"))
    }
}
