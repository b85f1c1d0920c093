import DockerEngine
import Foundation
import JarvisStore

/// What the disk-use card shows: per kind, how much there is and what its clean-up would reclaim.
public struct DiskUsageSummary: Encodable, Sendable {
    /// One kind (images, containers, volumes, build cache).
    public struct Kind: Encodable, Sendable {
        public let count: Int
        public let size: Int64
        /// Items the clean-up of this kind removes, and their size.
        public let reclaimableCount: Int
        public let reclaimable: Int64
    }

    /// Unix seconds of the engine's report; nil before the first one.
    public let observedAt: Int64?
    /// A refresh was asked for and has not come yet.
    public let refreshing: Bool
    /// Why the last refresh failed, when it did.
    public let error: String?
    public let images: Kind
    public let containers: Kind
    public let volumes: Kind
    public let buildCache: Kind

    /// The clean-up kinds, as the prune route names them.
    public static let kinds = ["images", "containers", "volumes", "build-cache"]

    public init(row: DiskUsageRow?) {
        let report = row?.report.flatMap { try? JSONDecoder().decode(DiskUsageReport.self, from: Data($0.utf8)) }
        self.init(report: report, observedAt: report == nil ? nil : row?.observedAt,
                  refreshing: (row?.requestedAt ?? 0) > (row?.observedAt ?? 0), error: row?.error)
    }

    init(report: DiskUsageReport?, observedAt: Int64?, refreshing: Bool, error: String?) {
        self.observedAt = observedAt
        self.refreshing = refreshing
        self.error = error
        let images = report?.images ?? []
        // Dangling images (no tag) that no container uses: what the image clean-up removes.
        let dangling = images.filter { ($0.repoTags ?? []).allSatisfy { $0 == "<none>:<none>" } && ($0.containers ?? 0) <= 0 }
        self.images = Kind(count: images.count, size: report?.layersSize ?? images.reduce(0) { $0 + max(0, $1.size ?? 0) },
                           reclaimableCount: dangling.count,
                           reclaimable: dangling.reduce(0) { $0 + max(0, ($1.size ?? 0) - max(0, $1.sharedSize ?? 0)) })
        let containers = report?.containers ?? []
        let stopped = containers.filter { !["running", "paused", "restarting"].contains($0.state ?? "") }
        self.containers = Kind(count: containers.count, size: containers.reduce(0) { $0 + max(0, $1.sizeRw ?? 0) },
                               reclaimableCount: stopped.count, reclaimable: stopped.reduce(0) { $0 + max(0, $1.sizeRw ?? 0) })
        let volumes = report?.volumes ?? []
        let unused = volumes.filter { ($0.usageData?.refCount ?? 0) == 0 }
        self.volumes = Kind(count: volumes.count, size: volumes.reduce(0) { $0 + max(0, $1.usageData?.size ?? 0) },
                            reclaimableCount: unused.count, reclaimable: unused.reduce(0) { $0 + max(0, $1.usageData?.size ?? 0) })
        let caches = report?.buildCache ?? []
        let idle = caches.filter { !($0.inUse ?? false) }
        buildCache = Kind(count: caches.count, size: caches.reduce(0) { $0 + max(0, $1.size ?? 0) },
                          reclaimableCount: idle.count, reclaimable: idle.reduce(0) { $0 + max(0, $1.size ?? 0) })
    }

    /// Sizes of volumes by name from a stored report (nil where the driver cannot tell).
    public static func volumeSizes(_ row: DiskUsageRow?) -> [String: Int64] {
        guard let text = row?.report, let report = try? JSONDecoder().decode(DiskUsageReport.self, from: Data(text.utf8)) else { return [:] }
        var sizes: [String: Int64] = [:]
        for volume in report.volumes ?? [] {
            if let size = volume.usageData?.size, size >= 0 { sizes[volume.name] = size }
        }
        return sizes
    }

    /// The stored report itself.
    public static func report(_ row: DiskUsageRow?) -> DiskUsageReport? {
        row?.report.flatMap { try? JSONDecoder().decode(DiskUsageReport.self, from: Data($0.utf8)) }
    }
}
