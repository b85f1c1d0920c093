import Compose
import DockerEngine
import Foundation

/// `post_start` and `pre_stop`: each hook is an exec in the service's container, run to its end;
/// a hook that fails (non-zero exit) fails the step, as docker compose does.
struct StackHooks {
    let docker: DockerClient

    /// A hook still running after the operation's wait timeout.
    struct Overdue: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `hooks` in `container` one after the other, each for at most `timeout` seconds: a hook that
    /// never ends would otherwise hold the stack's task (and, for pre_stop, keep the container from stopping) for good.
    func run(_ hooks: [LifecycleHook], in container: String, service: String, kind: String, timeout: Int) async throws {
        for hook in hooks {
            let deadline = Date().addingTimeInterval(TimeInterval(timeout))
            var body: [String: Any] = ["Cmd": hook.command, "AttachStdout": false, "AttachStderr": false, "Privileged": hook.privileged]
            if let user = hook.user { body["User"] = user }
            if let directory = hook.workingDir { body["WorkingDir"] = directory }
            if !hook.environment.isEmpty { body["Env"] = hook.environment.keys.sorted().map { "\($0)=\(hook.environment[$0]!)" } }
            struct Created: Decodable { let Id: String }
            let created = try await docker.send(EngineRequest("POST", "/containers/\(container)/exec",
                                                              body: [UInt8](try JSONSerialization.data(withJSONObject: body))))
            let id = try JSONDecoder().decode(Created.self, from: Data(created.body)).Id
            // Detached: the engine runs it; Jarvis waits on the exec's state rather than holding a stream.
            _ = try await docker.send(EngineRequest("POST", "/exec/\(id)/start", body: Array(#"{"Detach":true}"#.utf8)))
            while true {
                let state = try await docker.inspectExec(id)
                if !state.running {
                    guard state.exitCode == 0 else {
                        throw TaskFailure("\(kind) hook of service \(service) (\(hook.command.joined(separator: " "))) exited with code \(state.exitCode ?? -1)")
                    }
                    break
                }
                guard Date() < deadline else {
                    throw Overdue(description: "\(kind) hook of service \(service) (\(hook.command.joined(separator: " "))) did not finish within \(timeout) s")
                }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
        }
    }
}
