import Foundation

extension DockerClient {
    /// `GET /system/df` with every item (volume sizes, build cache records); can take seconds.
    public func diskUsageReport() async throws -> DiskUsageReport {
        try await decode(DiskUsageReport.self, EngineRequest("GET", "/system/df", timeout: 300))
    }

    /// `POST /containers/prune`: every stopped container.
    public func pruneContainers() async throws -> PruneReport {
        try await decode(PruneReport.self, EngineRequest("POST", "/containers/prune", timeout: 600))
    }

    /// `POST /build/prune`: build cache no build uses now.
    public func pruneBuildCache() async throws -> PruneReport {
        try await decode(PruneReport.self, EngineRequest("POST", "/build/prune", timeout: 600))
    }
}
