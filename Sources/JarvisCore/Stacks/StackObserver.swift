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
        var observed = ObservedProject()
        observed.containers = try await containers.compactMap(Self.container)
        // Names, not labels: external networks and volumes carry no project label.
        let wantedNetworks = Set(project.networks.values.map(\.name))
        observed.networks = Set(try await networks.map(\.name).filter(wantedNetworks.contains))
        let wantedVolumes = Set(project.volumes.values.map(\.name))
        observed.volumes = Set(try await volumes.map(\.name).filter(wantedVolumes.contains))
        for image in try await images {
            for tag in image.repoTags ?? [] where tag != "<none>:<none>" { observed.images[tag] = image.id }
        }
        return observed
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
