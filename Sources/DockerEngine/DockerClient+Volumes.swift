import Foundation

extension DockerClient {
    /// `GET /volumes/{name}`.
    public func volume(_ name: String) async throws -> VolumeInspect {
        try await decode(VolumeInspect.self, EngineRequest("GET", "/volumes/\(try Self.validID(name))"))
    }

    /// `GET /volumes` with every field of each volume.
    public func volumeList() async throws -> [VolumeInspect] {
        struct Listing: Decodable { let Volumes: [VolumeInspect]? }
        return try await decode(Listing.self, EngineRequest("GET", "/volumes")).Volumes ?? []
    }

    /// `GET /containers/json?all=1` with the mounts of each container: who uses which volume.
    public func containerMounts() async throws -> [ContainerMounts] {
        try await decode([ContainerMounts].self, EngineRequest("GET", "/containers/json", query: [("all", "1")]))
    }

    /// `POST /volumes/prune`: every unused volume. From API 1.42 the engine prunes only anonymous
    /// volumes unless asked for `all`; 1.41 knows no such filter and prunes them all.
    public func pruneVolumes() async throws -> PruneReport {
        let all = try await apiVersion() >= APIVersion(1, 42)
        let query = all ? [("filters", try Self.encodeFilters(["all": ["true"]]))] : []
        return try await decode(PruneReport.self, EngineRequest("POST", "/volumes/prune", query: query, timeout: 600))
    }
}
