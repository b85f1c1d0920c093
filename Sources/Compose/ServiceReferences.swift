import Foundation

/// Settings that point at another service's container: `network_mode`, `ipc` and `pid` as
/// `service:x` (or `container:<a service's container name>`) and `volumes_from`.
///
/// Compose resolves them into the dependent's configuration before it compares hashes
/// (`resolveServiceReferences` in `pkg/compose/convergence.go`): the hash covers
/// `container:<id>`, so a dependent is recreated whenever the container it joins is.
public enum ServiceReferences {
    /// The services `service` borrows a namespace or volumes from, sorted.
    public static func services(of service: ComposeService, in project: ComposeProject) -> [String] {
        var names = Set<String>()
        for mode in [service.networkMode, service.ipc, service.pid].compactMap({ $0 }) {
            if let name = referenced(mode, in: project) { names.insert(name) }
        }
        for entry in service.volumesFrom ?? [] {
            if let name = volumesFromService(entry, in: project) { names.insert(name) }
        }
        names.remove(service.name)
        return names.sorted()
    }

    /// `service` with each reference written as `container:<id>` where `containerID` knows the
    /// referenced service's (first) container; unknown ones stay as written.
    public static func resolved(_ service: ComposeService, in project: ComposeProject, containerID: (String) -> String?) -> ComposeService {
        var service = service
        func resolve(_ mode: String?) -> String? {
            guard let mode, let name = referenced(mode, in: project), let id = containerID(name) else { return mode }
            return "container:" + id
        }
        service.networkMode = resolve(service.networkMode)
        service.ipc = resolve(service.ipc)
        service.pid = resolve(service.pid)
        service.volumesFrom = service.volumesFrom?.map { entry in
            guard let name = volumesFromService(entry, in: project), let id = containerID(name) else { return entry }
            let mode = accessMode(entry)
            return "container:" + id + (mode.map { ":" + $0 } ?? "")
        }
        return service
    }

    /// The service a `service:x` or `container:<name>` mode names, when it is one of the project's.
    static func referenced(_ mode: String, in project: ComposeProject) -> String? {
        if mode.hasPrefix("service:") {
            let name = String(mode.dropFirst(8))
            return project.services[name] != nil ? name : nil
        }
        guard mode.hasPrefix("container:") else { return nil }
        return service(withContainer: String(mode.dropFirst(10)), in: project)
    }

    /// The service of a `volumes_from` entry, when it names one of the project's (directly or by container name).
    static func volumesFromService(_ entry: String, in project: ComposeProject) -> String? {
        if entry.hasPrefix("container:") {
            let rest = entry.dropFirst(10)
            return service(withContainer: String(rest.split(separator: ":").first ?? rest), in: project)
        }
        let name = String(entry.split(separator: ":").first ?? Substring(entry))
        return project.services[name] != nil ? name : nil
    }

    /// The `ro`/`rw` suffix of a `volumes_from` entry.
    static func accessMode(_ entry: String) -> String? {
        let parts = entry.split(separator: ":").map(String.init)
        guard let last = parts.last, parts.count > (entry.hasPrefix("container:") ? 2 : 1), ["ro", "rw"].contains(last) else { return nil }
        return last
    }

    private static func service(withContainer name: String, in project: ComposeProject) -> String? {
        project.services.values.first { Planner.containerName(project: project.name, service: $0, number: 1) == name }?.name
    }
}
