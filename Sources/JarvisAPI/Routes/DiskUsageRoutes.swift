import Foundation
import JarvisCore

enum DiskUsageRoutes {
    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        [
            Route("GET", "/api/v1/system/disk-usage", access: .role(.viewer)) { context in
                try .json(try context.host.volumes.diskUsage())
            },
            Route("POST", "/api/v1/system/disk-usage/refresh", access: .role(.operator_), audit: "system.disk_usage_refresh",
                  readsBody: false) { context in
                context.audit = AuditEvent(action: "system.disk_usage_refresh", resourceType: "host")
                try context.host.volumes.requestDiskUsage()
                return try .json(try context.host.volumes.diskUsage(), status: 202)
            },
            Route("POST", "/api/v1/system/prune/{kind}", access: .role(.operator_), audit: "system.prune", long: true, readsBody: false) { context in
                try await prune(context.parameter("kind"), context, environment, action: "system.prune")
            },
        ]
    }

    /// A clean-up behind the server's confirmation: the challenge lists what goes and its size,
    /// the answer what the engine removed and the bytes it reports reclaimed.
    static func prune(_ kind: String, _ context: RequestContext, _ environment: JarvisEnvironment, action: String) async throws -> HTTPResponse {
        context.audit = AuditEvent(action: action, resourceType: kind == "volumes" ? "volume" : "system", resourceName: kind, params: ["kind": kind])
        guard DiskUsageSummary.kinds.contains(kind) else {
            throw JarvisError(404, "not_found", "kind: no clean-up \(kind.prefix(40)); one of \(DiskUsageSummary.kinds.joined(separator: ", "))").field("kind")
        }
        let candidates = try await context.host.volumes.pruneCandidates(kind)
        try environment.confirmations.require(
            context.principal!, action: "prune.\(kind)", targets: candidates.targets,
            summary: candidates.summary + " — about \(bytes(candidates.size))",
            presented: context.request.header(ConfirmationService.header))
        let result = try await context.host.volumes.prune(kind)
        context.audit?.params["deleted"] = String(result.deleted.count)
        context.audit?.params["reclaimed_bytes"] = String(result.spaceReclaimed)
        return try .json(result)
    }

    /// Bytes as people read them (binary units, one decimal).
    static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value), unit = 0
        while amount >= 1024, unit < units.count - 1 { amount /= 1024; unit += 1 }
        return unit == 0 ? "\(value) B" : String(format: "%.1f %@", amount, units[unit])
    }
}
