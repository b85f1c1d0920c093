import Foundation
import JarvisCore
import JarvisStore

/// Resource history for the charts: a container's, or its host's (its containers together), over a range.
/// Served from the store jarvis-sse fills, so an offline host still shows what was recorded.
enum HistoryRoutes {
    /// The ranges the charts offer, with the tier each reads.
    static let ranges: [String: (seconds: Int64, tier: ResourceTier)] = [
        "15m": (900, .tenSeconds), "1h": (3600, .tenSeconds), "24h": (86400, .minute), "7d": (604_800, .tenMinutes),
    ]

    struct History: Encodable {
        let range: String
        let step: Int
        let from: Int64
        let to: Int64
        /// Seconds between two samples: how often a live chart should ask again.
        let sampleInterval: Int
        let points: [Point]
    }

    struct Point: Encodable {
        let at: Int64
        let cpu: Double?
        let cpuMax: Double?
        let memory: Int64?
        let memoryMax: Int64?
        let memoryLimit: Int64?
        let rx: Double?
        let tx: Double?
        let read: Double?
        let write: Double?

        init(_ p: ResourcePoint) {
            at = p.at; cpu = p.cpu; cpuMax = p.cpuMax; memory = p.memory; memoryMax = p.memoryMax; memoryLimit = p.memoryLimit
            rx = p.rx; tx = p.tx; read = p.read; write = p.write
        }
    }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        [
            Route("GET", "/api/v1/containers/{id}/history", access: .role(.viewer), offlineReadable: true) { context in
                let id = context.parameter("id")
                guard let row = try environment.database.containerSnapshotRow(hostID: context.host.record.id, idOrName: id) else {
                    throw JarvisError.notFound("no container \(id.prefix(128))")
                }
                return try .json(try history(environment, context, containerID: row.id))
            },
            Route("GET", "/api/v1/system/history", access: .role(.viewer), offlineReadable: true) { context in
                try .json(try history(environment, context, containerID: ""))
            },
        ]
    }

    static func history(_ environment: JarvisEnvironment, _ context: RequestContext, containerID: String) throws -> History {
        let name = context.request.query["range"].flatMap { $0.isEmpty ? nil : $0 } ?? "1h"
        guard let range = ranges[name] else {
            throw JarvisError.badRequest("range must be one of 15m, 1h, 24h, 7d", code: "invalid_parameter").field("range")
        }
        let now = Int64(Date().timeIntervalSince1970)
        let from = now - range.seconds
        let points = try environment.database.resourceHistory(hostID: context.host.record.id, containerID: containerID,
                                                              tier: range.tier, since: from - Int64(range.tier.rawValue) + 1)
        return History(range: name, step: range.tier.rawValue, from: from, to: now, sampleInterval: environment.config.statsInterval,
                       points: points.map(Point.init))
    }
}
