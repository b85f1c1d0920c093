import DockerEngine
import Foundation
import JarvisStore

/// Watches one host's container events (fed by its `ContainerMirror`) for trouble worth a message:
/// a non-zero exit (with the last log lines), an OOM kill, a failing health check, a restart loop.
/// Reading logs or inspecting happens in its own task, so the mirror's event loop never waits.
public final class ContainerAlerts: @unchecked Sendable {
    let docker: DockerClient
    let notifier: Notifier
    let host: (id: Int64, name: String)
    /// A restart loop: this many exits within `loopMinutes`.
    let loopRestarts: Int
    let loopMinutes: Double
    private let lock = NSLock()
    private var kills: [String: Date] = [:]
    private var exits: [String: [Date]] = [:]

    public init(docker: DockerClient, notifier: Notifier, host: (id: Int64, name: String), loopRestarts: Int = 3, loopMinutes: Double = 5) {
        self.docker = docker
        self.notifier = notifier
        self.host = host
        self.loopRestarts = loopRestarts
        self.loopMinutes = loopMinutes
    }

    /// Attributes of a container event that are not labels.
    static let nonLabels: Set<String> = ["name", "image", "exitCode", "execDuration", "signal"]

    /// Returns at once; anything that needs the engine runs detached.
    public func observe(_ event: EngineEvent) {
        guard event.type == "container" else { return }
        let id = event.actor.id
        let attributes = event.actor.attributes ?? [:]
        let now = Date(timeIntervalSince1970: Double(event.timeNano) / 1e9)
        if event.action == "kill" {
            lock.withLock { kills[id] = now }
        } else if event.action == "die" {
            // A stop or kill someone asked for (Jarvis, the CLI) is not trouble.
            let asked = lock.withLock { () -> Bool in
                defer { kills[id] = nil }
                return kills[id].map { now.timeIntervalSince($0) < 60 } ?? false
            }
            guard !asked else { return }
            let loop: Int = lock.withLock {
                let recent = (exits[id] ?? []).filter { now.timeIntervalSince($0) < loopMinutes * 60 } + [now]
                exits[id] = recent
                return recent.count
            }
            let exitCode = Int(attributes["exitCode"] ?? "") ?? 0
            Task.detached { await self.died(id, attributes: attributes, exitCode: exitCode, exitsInWindow: loop) }
        } else if event.action.hasPrefix("health_status") && event.action.hasSuffix("unhealthy") {
            Task.detached { await self.unhealthy(id, attributes: attributes) }
        } else if event.action == "destroy" {
            lock.withLock { kills[id] = nil; exits[id] = nil }
        }
    }

    func fields(_ attributes: [String: String]) -> [String: String] {
        let labels = attributes.filter { !Self.nonLabels.contains($0.key) }
        var fields = ["container": attributes["name"] ?? "", "image": attributes["image"] ?? ""]
        if let stack = labels["com.docker.compose.project"] { fields["stack"] = stack }
        if let data = try? JSONSerialization.data(withJSONObject: labels, options: [.sortedKeys]) {
            fields["labels"] = String(decoding: data, as: UTF8.self)
        }
        return fields
    }

    private func died(_ id: String, attributes: [String: String], exitCode: Int, exitsInWindow: Int) async {
        let name = attributes["name"] ?? String(id.prefix(12))
        var fields = fields(attributes)
        let details = try? await docker.container(id)
        fields["exit_code"] = String(exitCode)
        if details?.state.oomKilled == true {
            if let limit = details?.hostConfig?.memory, limit > 0 { fields["memory_limit"] = "\(limit / 1_048_576) MiB" }
            notifier.emit(.containerOOM, target: name, summary: "\(name) was killed for lack of memory (exit code \(exitCode))",
                          host: host, fields: fields)
        } else if exitCode != 0 {
            fields["logs"] = await lastLines(id, count: 20)
            notifier.emit(.containerDied, target: name, summary: "\(name) exited with code \(exitCode)", host: host, fields: fields)
        }
        if exitsInWindow >= loopRestarts {
            var loop = self.fields(attributes)
            loop["restarts"] = String(exitsInWindow)
            loop["minutes"] = String(Int(loopMinutes))
            loop["exit_code"] = String(exitCode)
            notifier.emit(.containerRestartLoop, target: name,
                          summary: "\(name) exited \(exitsInWindow) times in \(Int(loopMinutes)) minutes", host: host, fields: loop)
        }
    }

    private func unhealthy(_ id: String, attributes: [String: String]) async {
        let name = attributes["name"] ?? String(id.prefix(12))
        var fields = fields(attributes)
        if let probe = (try? await docker.container(id))?.state.health?.log?.last {
            fields["health_output"] = String((probe.output ?? "").trimmingCharacters(in: .whitespacesAndNewlines).prefix(1000))
            if let code = probe.exitCode { fields["health_exit_code"] = String(code) }
        }
        notifier.emit(.containerUnhealthy, target: name, summary: "\(name) is unhealthy", host: host, fields: fields)
    }

    /// The container's last lines, stdout and stderr together, at most 4 KB.
    private func lastLines(_ id: String, count: Int) async -> String {
        guard let stream = try? await docker.logs(id, options: LogsOptions(tail: count, timestamps: false)) else { return "" }
        var lines: [String] = []
        do { for try await line in stream { lines.append(line.text) } } catch {}
        let text = lines.suffix(count).joined(separator: "\n")
        return text.count > 4096 ? String(text.suffix(4096)) : text
    }
}
