import Compose
import DockerEngine
import Foundation

/// Reads what the engine has for Compose projects, by labels only (the CLI's and ours are the same).
struct StackObserver: Sendable {
    let docker: DockerClient

    /// Containers, networks and volumes labelled for `project`, external networks and
    /// volumes the file names, and the local images by reference.
    func observe(_ project: ComposeProject) async throws -> ObservedProject {
        let label = ["label": ["\(ComposeLabel.project)=\(project.name)"]]
        async let containers = docker.containers(ListContainersOptions(all: true, filters: label))
        async let networks = docker.networks()
        async let volumes = docker.volumes()
        async let images = docker.images()
        async let mounts = containerMounts(filters: label)
        var observed = ObservedProject()
        observed.containers = try await containers.compactMap(Self.container)
        let mountsByID = try await mounts
        for index in observed.containers.indices { observed.containers[index].mounts = mountsByID[observed.containers[index].id] ?? [] }
        // Names, not labels: external networks and volumes carry no project label.
        let wantedNetworks = Set(project.networks.values.map(\.name))
        observed.networks = Set(try await networks.map(\.name).filter(wantedNetworks.contains))
        let wantedVolumes = Set(project.volumes.values.map(\.name))
        observed.volumes = Set(try await volumes.map(\.name).filter(wantedVolumes.contains))
        for image in try await images {
            for tag in image.repoTags ?? [] where tag != "<none>:<none>" { observed.images[tag] = image.id }
        }
        let planner = Planner(project: project, observed: observed)
        for reference in Set(project.services.values.map(planner.imageReference)) where observed.images[reference] != nil {
            // Only the plan's wording depends on it; an unreadable image is the create's problem, not the preview's.
            let facts = try? await imageFacts(reference)
            observed.imageVolumes[reference] = facts?.volumes
            observed.imageTaggedAt[reference] = facts?.taggedAt
        }
        return observed
    }

    /// An image's id and `VOLUME` paths; nil when the engine has no such image. (DockerEngine's
    /// typed inspect leaves `Config.Volumes` out, so this one reads the answer itself.)
    func imageFacts(_ reference: String) async throws -> (id: String, volumes: Set<String>, taggedAt: Date?)? {
        struct Inspect: Decodable {
            struct Config: Decodable { let Volumes: [String: EmptyObject]? }
            struct Metadata: Decodable { let LastTagTime: String? }
            let Id: String
            let Config: Config?
            let Metadata: Metadata?
        }
        do {
            _ = try await docker.image(reference) // validates the reference and maps a missing image to notFound
            let response = try await docker.send(EngineRequest("GET", "/images/\(reference)/json"))
            let inspect = try JSONDecoder().decode(Inspect.self, from: Data(response.body))
            return (inspect.Id, Set((inspect.Config?.Volumes ?? [:]).keys), inspect.Metadata?.LastTagTime.flatMap(Self.engineDate))
        } catch let error as EngineError where error.code == .notFound {
            return nil
        }
    }

    /// The engine's RFC 3339 time with nanoseconds; the zero time (never tagged) is nil.
    static func engineDate(_ text: String) -> Date? {
        guard !text.hasPrefix("0001-") else { return nil }
        let trimmed = text.replacingOccurrences(of: #"\.\d+"#, with: "", options: .regularExpression)
        return ISO8601DateFormatter().date(from: trimmed)
    }

    /// The mounts of the listed containers by id: the list answer has them, the typed summary does not.
    private func containerMounts(filters: [String: [String]]) async throws -> [String: [ObservedMount]] {
        struct Row: Decodable {
            struct Mount: Decodable {
                let kind: String?, name: String?, destination: String, rw: Bool?
                enum CodingKeys: String, CodingKey { case kind = "Type", name = "Name", destination = "Destination", rw = "RW" }
            }
            let Id: String
            let Mounts: [Mount]?
        }
        let encoded = String(decoding: try JSONSerialization.data(withJSONObject: filters), as: UTF8.self)
        let response = try await docker.send(EngineRequest("GET", "/containers/json", query: [("all", "1"), ("filters", encoded)]))
        let rows = try JSONDecoder().decode([Row].self, from: Data(response.body))
        var result: [String: [ObservedMount]] = [:]
        for row in rows {
            result[row.Id] = (row.Mounts ?? []).map { ObservedMount(type: $0.kind ?? "", name: $0.name, destination: $0.destination, readWrite: $0.rw ?? true) }
        }
        return result
    }

    /// Every container of every Compose project, by project name.
    func projects() async throws -> [String: [ContainerSummary]] {
        let all = try await docker.containers(ListContainersOptions(all: true, filters: ["label": [ComposeLabel.project]]))
        return Dictionary(grouping: all.filter { $0.labels?[ComposeLabel.oneoff] != "True" }) { $0.labels?[ComposeLabel.project] ?? "" }
    }

    static func container(_ summary: ContainerSummary) -> ObservedProject.Container? {
        let labels = summary.labels ?? [:]
        guard let service = labels[ComposeLabel.service], labels[ComposeLabel.oneoff] != "True" else { return nil }
        return ObservedProject.Container(id: summary.id, name: summary.name, service: service,
                                         number: Int(labels[ComposeLabel.number] ?? "") ?? 1,
                                         configHash: labels[ComposeLabel.configHash], state: summary.state, imageID: summary.imageID)
    }
}
