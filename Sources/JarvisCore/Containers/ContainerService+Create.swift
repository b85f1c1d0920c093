import DockerEngine
import Foundation

extension ContainerService {
    /// Creates (and by default starts) a container. Everything that can be checked
    /// is checked before the engine creates anything; when the start fails the new
    /// container is removed again, so a failed request leaves nothing behind.
    public func create(_ spec: ContainerSpec) async throws -> ContainerDetails {
        // The image, the network and the CPUs are checked together, so the form marks all three at once.
        var problems = FieldProblems()
        do {
            _ = try await docker.image(spec.image)
        } catch let error as EngineError where error.code == .notFound {
            // Its own code: the form offers to pull it.
            problems.add(JarvisError(400, "image_not_found", "image: image \(spec.image) is not on this host; pull it first").field("image"))
        } catch let error as EngineError { throw JarvisError.from(error) }
        if let network = spec.network {
            do {
                _ = try await docker.network(network)
            } catch let error as EngineError where error.code == .notFound {
                problems.add(JarvisError.invalidField("network", "no network named \(network)"))
            } catch let error as EngineError { throw JarvisError.from(error) }
        }
        if let nanoCpus = spec.nanoCpus, let cpus = try? await docker.info().cpus, nanoCpus > Int64(cpus) * 1_000_000_000 {
            problems.add(JarvisError.invalidField("cpus", "this host has \(cpus) CPUs"))
        }
        try problems.throwIfAny()
        try await checkPortConflicts(spec.ports)

        let id: String
        do {
            id = try await docker.createContainer(name: spec.name, body: spec.engineBody)
        } catch let error as EngineError where error.code == .conflict {
            throw JarvisError(409, "name_taken", "name: the name \(spec.name ?? "") is already used by another container").field("name")
        } catch let error as EngineError where error.code == .badRequest {
            throw JarvisError(400, "engine_rejected", "the engine refused the container: \(error.message)")
        } catch let error as EngineError { throw JarvisError.from(error) }

        if spec.start {
            do {
                try await docker.startContainer(id)
            } catch let error as EngineError {
                try? await docker.removeContainer(id, force: true, volumes: true)
                await refreshSnapshot(id)
                if error.message.contains("port is already allocated") || error.message.contains("address already in use") {
                    throw JarvisError(409, "port_in_use", "ports: \(error.message)").field("ports")
                }
                throw JarvisError(JarvisError.from(error).status, "start_failed",
                                  "the container was created but did not start, so it was removed again: \(error.message)")
            }
        }
        await refreshSnapshot(id)
        return try await details(id)
    }

    /// A host port published by a running container cannot be published again.
    func checkPortConflicts(_ ports: [ContainerSpec.PublishedPort]) async throws {
        let wanted = ports.filter { $0.hostPort != nil }
        guard !wanted.isEmpty else { return }
        let running = try await engine { try await docker.containers(ListContainersOptions(all: false)) }
        for port in wanted {
            for container in running {
                for published in container.ports where published.publicPort == port.hostPort && published.type == port.proto
                    && ContainerSpec.ipsOverlap(published.ip ?? "", port.hostIP) {
                    throw JarvisError(409, "port_in_use",
                                      "\(port.field): host port \(port.hostPort!)/\(port.proto) is already published by container \(container.name) (\(published.ip ?? "0.0.0.0"):\(port.hostPort!)->\(published.privatePort)/\(published.type))")
                        .field(port.field)
                }
            }
        }
    }
}
