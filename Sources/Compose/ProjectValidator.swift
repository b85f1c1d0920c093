import Foundation
import Yams

/// Checks that need the whole project: references between services, networks,
/// volumes, secrets and configs, dependency cycles, clashing host ports.
struct ProjectValidator {
    let context: LoadContext
    let project: ComposeProject
    let servicesCursor: Cursor

    func validate() {
        for name in project.services.keys.sorted() {
            let service = project.services[name]!
            let cursor = child(servicesCursor, name) ?? servicesCursor
            for dependency in service.dependsOn.keys.sorted() where project.services[dependency] == nil {
                guard service.dependsOn[dependency]!.required else { continue }
                let why = project.disabledServices.contains(dependency) ? "is switched off by its profiles" : "is not defined"
                report(child(cursor, "depends_on").flatMap { entry(in: $0, named: dependency) } ?? cursor,
                       "depends on service \"\(dependency)\", which \(why)")
            }
            for network in service.networks.keys.sorted() where project.networks[network] == nil {
                report(child(cursor, "networks").flatMap { entry(in: $0, named: network) } ?? cursor,
                       "network \"\(network)\" is not declared under the top-level networks")
            }
            // A link to no service would be dropped from the create body without a word.
            for link in service.engine?.links ?? [] {
                let linked = String(link.split(separator: ":").first ?? "")
                guard project.services[linked] == nil else { continue }
                let why = project.disabledServices.contains(linked) ? "is switched off by its profiles" : "is not defined"
                report(child(cursor, "links").flatMap { entry(in: $0, named: link) } ?? child(cursor, "links") ?? cursor,
                       "links to service \"\(linked)\", which \(why) (a container of another project is an external_links entry)")
            }
            if let mode = service.networkMode, !service.networks.isEmpty {
                report(child(cursor, "network_mode") ?? cursor, "network_mode \(mode) cannot be combined with networks")
            }
            for (key, mode) in [("network_mode", service.networkMode), ("ipc", service.ipc), ("pid", service.pid)] {
                guard let mode, mode.hasPrefix("service:"), project.services[String(mode.dropFirst(8))] == nil else { continue }
                report(child(cursor, key) ?? cursor, "\(key) names service \"\(mode.dropFirst(8))\", which is not defined")
            }
            // Joining a container that is not one of this project's reaches into whatever runs there.
            for (key, mode) in [("network_mode", service.networkMode), ("ipc", service.ipc), ("pid", service.pid)] {
                guard let mode, mode.hasPrefix("container:"), ServiceReferences.referenced(mode, in: project) == nil else { continue }
                let what = key == "network_mode" ? "network stack" : "\(key) namespace"
                context.hostAccess(child(cursor, key) ?? cursor, "shares the \(what) of container \(mode.dropFirst(10)), outside this stack")
            }
            // Another service's volumes are checked where that service declares them; a foreign container's are not.
            for entry in service.volumesFrom ?? [] where entry.hasPrefix("container:") {
                guard ServiceReferences.volumesFromService(entry, in: project) == nil else { continue }
                context.hostAccess(child(cursor, "volumes_from") ?? cursor, "mounts every volume of container \(entry.dropFirst(10).split(separator: ":").first ?? ""), outside this stack")
            }
            for (index, entry) in (service.volumesFrom ?? []).enumerated() where !entry.hasPrefix("container:") {
                guard ServiceReferences.volumesFromService(entry, in: project) == nil else { continue }
                report(child(cursor, "volumes_from").flatMap { item($0, index) } ?? child(cursor, "volumes_from") ?? cursor,
                       "volumes_from names service \"\(entry.split(separator: ":").first ?? "")\", which is not defined")
            }
            let volumesCursor = child(cursor, "volumes")
            for (index, mount) in service.volumes.enumerated() where mount.kind == .volume {
                guard let source = mount.source, project.volumes[source] == nil else { continue }
                report(volumesCursor.flatMap { item($0, index) } ?? cursor,
                       "volume \"\(source)\" is not declared under the top-level volumes")
            }
            for (key, references, declared) in [("secrets", service.secrets, project.secrets), ("configs", service.configs, project.configs)] {
                for reference in references {
                    if declared[reference.source] == nil {
                        report(child(cursor, key) ?? cursor, "\(key.dropLast()) \"\(reference.source)\" is not declared under the top-level \(key)")
                    } else if let reason = declared[reference.source]!.unavailable {
                        report(child(cursor, key) ?? cursor, "uses \(key.dropLast()) \"\(reference.source)\", which \(reason)")
                    }
                }
            }
            if service.containerName != nil && service.replicas > 1 {
                report(child(cursor, "container_name") ?? cursor, "container_name cannot be used with more than one replica")
            }
        }
        do {
            _ = try DependencyGraph(project).order()
        } catch let cycle as DependencyGraph.Cycle {
            context.error(path: "services", "dependency cycle: \(cycle.services.joined(separator: " -> "))")
        } catch {}
        checkHostPorts()
    }

    /// Two services of one project publishing the same host port can never both start.
    private func checkHostPorts() {
        var owners: [String: String] = [:]
        for name in project.services.keys.sorted() {
            let service = project.services[name]!
            for port in service.ports {
                for host in port.publishedPorts {
                    let key = "\(port.hostIP ?? "0.0.0.0"):\(host)/\(port.proto)"
                    if let owner = owners[key], owner != name || service.replicas > 1 {
                        context.error(path: "services.\(name).ports", "host port \(key) is also published by service \(owner)")
                    }
                    owners[key] = name
                }
                if service.replicas > 1, port.publishedPorts.count == 1 {
                    context.error(path: "services.\(name).ports", "\(service.replicas) replicas cannot all publish host port \(port.published!)")
                }
            }
        }
    }

    private func report(_ cursor: Cursor, _ message: String) { context.error(cursor, message) }

    private func child(_ cursor: Cursor, _ key: String) -> Cursor? {
        guard case let .mapping(mapping) = cursor.node else { return nil }
        for (keyNode, value) in mapping where keyNode.string == key {
            return Cursor(node: value, path: cursor.key(key), context: context)
        }
        return nil
    }

    private func item(_ cursor: Cursor, _ index: Int) -> Cursor? {
        guard case let .sequence(sequence) = cursor.node, index < sequence.count else { return nil }
        return Cursor(node: sequence[index], path: "\(cursor.path)[\(index)]", context: context)
    }

    /// The entry for `name` in a list of names or in a mapping keyed by name.
    private func entry(in cursor: Cursor, named name: String) -> Cursor? {
        switch cursor.node {
        case let .sequence(sequence):
            for (index, node) in sequence.enumerated() where node.string == name {
                return Cursor(node: node, path: "\(cursor.path)[\(index)]", context: context)
            }
        case let .mapping(mapping):
            for (keyNode, _) in mapping where keyNode.string == name {
                return Cursor(node: keyNode, path: cursor.key(name), context: context)
            }
        default: break
        }
        return nil
    }
}

/// `depends_on` as a graph: a stable order (dependencies first, ties by name) or the cycle.
public struct DependencyGraph: Sendable {
    public struct Cycle: Error, Sendable {
        public let services: [String]
    }

    private let edges: [String: [String]]

    public init(_ project: ComposeProject) {
        var edges: [String: [String]] = [:]
        for (name, service) in project.services {
            edges[name] = service.dependsOn.keys.filter { project.services[$0] != nil }.sorted()
        }
        self.edges = edges
    }

    public func order() throws -> [String] {
        var done = Set<String>()
        var visiting: [String] = []
        var order: [String] = []
        func visit(_ name: String) throws {
            if done.contains(name) { return }
            if let start = visiting.firstIndex(of: name) { throw Cycle(services: Array(visiting[start...]) + [name]) }
            visiting.append(name)
            for dependency in edges[name] ?? [] { try visit(dependency) }
            visiting.removeLast()
            done.insert(name)
            order.append(name)
        }
        for name in edges.keys.sorted() { try visit(name) }
        return order
    }
}
