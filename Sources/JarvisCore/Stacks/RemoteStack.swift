import Compose
import Foundation
import JarvisStore

/// What changes when a stack runs on another host than the one Jarvis runs on:
/// bind mounts name paths on that machine (as with `docker compose` against a
/// remote `DOCKER_HOST`), and files Jarvis would write itself cannot reach it.
enum RemoteStack {
    /// One line per bind mount, for the plan.
    static func notes(_ project: ComposeProject, host: HostRecord) -> [String] {
        guard host.id != HostRecord.localID else { return [] }
        var notes: [String] = []
        for name in project.orderedServiceNames {
            guard let service = project.services[name] else { continue }
            for mount in service.volumes where mount.kind == .bind {
                notes.append("service \(name): bind \(mount.source ?? "?") -> \(mount.target) is a path on host \(host.name), not on the Jarvis server")
            }
            for reference in service.secrets + service.configs {
                if let object = project.secrets[reference.source] ?? project.configs[reference.source], let file = object.file {
                    notes.append("service \(name): \(reference.source) is read from \(file) on host \(host.name)")
                }
            }
        }
        return notes
    }

    /// Inline configs and secrets become files on the Jarvis server: refused on another host rather than mounted empty.
    static func requireDeployable(_ project: ComposeProject, services: [String], host: HostRecord) throws {
        guard host.id != HostRecord.localID else { return }
        let chosen = services.isEmpty ? project.orderedServiceNames : services
        for name in chosen {
            for reference in (project.services[name]?.secrets ?? []) + (project.services[name]?.configs ?? []) {
                let object = project.secrets[reference.source] ?? project.configs[reference.source]
                if object?.content != nil || object?.environment != nil {
                    throw JarvisError(422, "remote_inline_file", "service \(name): \(reference.source) is inline content, which Jarvis writes as a file on "
                                      + "its own server; on host \(host.name) give it as a file next to the Compose file there instead")
                        .field("compose")
                }
            }
        }
    }
}
