import Compose
import DockerEngine
import Foundation

/// Stacks that depend on stacks: a Compose file's `x-jarvis: {requires: [infra]}` names stacks of the
/// same host that must run first (typically base services whose network it joins).
///
/// - `up` of a dependent stack brings its required stacks up first, in the same task, and waits for
///   them to be running and healthy (`StackRequires.startRequired`, called by `StackExecutor`).
/// - `stop` and `down` of a required stack while a dependent runs answer 409 naming the dependents,
///   with a confirmation token; sent back as `X-Confirmation-Token` it lets the operation go ahead.
enum StackRequires {
    /// The stacks the stack in `folder` requires (empty when its file names none).
    static func required(inFolder folder: String) -> [String] {
        guard let file = ComposeLoader.composeFile(in: folder), let text = try? StacksFolder.readInside(folder, file) else { return [] }
        return TemplateFormat.requires(composeText: text).filter(StacksFolder.isValidName)
    }

    /// Brings up, depth first, every stack `params.stack` requires; cycles and missing stacks fail the task.
    static func startRequired(_ params: StackParams, context: TaskContext, apiMinor: Int) async throws {
        var visited: Set<String> = [params.stack]
        try await startRequired(of: params.stack, folder: params.folder, chain: [params.stack], visited: &visited, params: params,
                                context: context, apiMinor: apiMinor)
    }

    private static func startRequired(of name: String, folder: String, chain: [String], visited: inout Set<String>, params: StackParams,
                                      context: TaskContext, apiMinor: Int) async throws {
        let stacks = context.host.stacks
        for required in required(inFolder: folder) {
            if chain.contains(required) {
                throw TaskFailure("stacks require each other in a circle: " + (chain + [required]).joined(separator: " → "))
            }
            guard visited.insert(required).inserted else { continue }
            let requiredFolder = try stacks.folder.folder(required)
            guard ComposeLoader.composeFile(in: requiredFolder) != nil else {
                throw TaskFailure("stack \(name) requires stack \(required), which is not in the stacks folder of host \(stacks.host.name)")
            }
            try await startRequired(of: required, folder: requiredFolder, chain: chain + [required], visited: &visited, params: params,
                                    context: context, apiMinor: apiMinor)
            await context.log("stack \(name) requires \(required): bringing it up first")
            // The required stack is deployed as the same user, its binds judged against its own folder.
            let actor = HostAccess.actor.map {
                EngineActor(userID: $0.userID, username: $0.username, role: $0.role)
                    .inStack(folder: requiredFolder, generated: stacks.generatedRoot + "/" + required)
            }
            try await HostAccess.acting(as: actor) {
                try await up(required, folder: requiredFolder, context: context, waitTimeout: params.waitTimeout, apiMinor: apiMinor)
            }
        }
    }

    private static func up(_ name: String, folder: String, context: TaskContext, waitTimeout: Int, apiMinor: Int) async throws {
        let observer = StackObserver(docker: context.docker)
        let project = try await StackLoading.project(name, folder: folder, operation: .up, observer: observer)
        if let actor = HostAccess.actor, actor.role < .admin, let first = project.hostAccess.first {
            throw TaskFailure("required stack \(name): only an admin may deploy a stack that reaches into the host: \(first.path) \(first.message)")
        }
        let observed = try await observer.observe(project)
        let plan: Plan
        do {
            plan = try Planner(project: project, observed: observed).plan(.up, services: [], removeVolumes: false, renewAnonymousVolumes: false)
        } catch let error as PlanError {
            throw TaskFailure("required stack \(name): \(error.message)")
        }
        if !plan.isEmpty {
            let conflicts = try await StackLoading.portConflicts(project, services: [], docker: context.docker)
            guard conflicts.isEmpty else { throw TaskFailure("required stack \(name): " + conflicts.joined(separator: "; ")) }
            for line in plan.text.split(separator: "\n") { await context.log("[\(name)] " + line) }
            try await StackRun(context: context, project: project, observed: observed, plan: plan, waitTimeout: waitTimeout, apiMinor: apiMinor)
                .execute()
        }
        try await waitHealthy(name, docker: context.docker, timeout: waitTimeout)
        await context.log("required stack \(name) is up")
    }

    /// Running (and healthy where a health check is defined) before the dependent starts.
    private static func waitHealthy(_ name: String, docker: DockerClient, timeout: Int) async throws {
        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        while true {
            let containers = try await docker.containers(ListContainersOptions(all: true, filters: ["label": ["\(ComposeLabel.project)=\(name)"]]))
                .filter { $0.labels?[ComposeLabel.oneoff] != "True" }
            if let sick = containers.first(where: { $0.status.contains("(unhealthy)") }) {
                throw TaskFailure("required stack \(name): container \(sick.name) is unhealthy")
            }
            let waiting = containers.filter { container in
                container.status.contains("(health: starting)")
                    || (container.state != "running" && !(container.state == "exited" && container.status.hasPrefix("Exited (0)")))
            }
            if waiting.isEmpty { return }
            guard Date() < deadline else {
                throw TaskFailure("required stack \(name) was not running and healthy within \(timeout) s (\(waiting.map(\.name).joined(separator: ", ")))")
            }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
    }
}

extension StackService {
    /// Stacks in the stacks folder that require `name` and have a running container, sorted.
    public func runningDependents(of name: String) async throws -> [String] {
        let projects = try await withEngineErrors { try await StackObserver(docker: docker).projects() }
        return folder.scan().filter { other in
            guard other != name, let path = try? folder.folder(other), StackRequires.required(inFolder: path).contains(name) else { return false }
            return (projects[other] ?? []).contains { $0.state == "running" }
        }
    }

    /// `stop`/`down` of a stack that running stacks require: 409 naming them, with a confirmation
    /// challenge; the token sent back (`X-Confirmation-Token`) lets the operation through.
    public func refuseWhileDependentsRun(_ name: String, _ operation: StackOperation, confirmations: ConfirmationService,
                                         principal: Principal, presented: String?) async throws {
        guard [.stop, .down].contains(operation) else { return }
        let dependents = try await runningDependents(of: name)
        guard !dependents.isEmpty else { return }
        let summary = "\(operation.rawValue) stack \(name), which running stack(s) \(dependents.joined(separator: ", ")) require"
        do {
            try confirmations.require(principal, action: "stack.\(operation.rawValue)+dependents", targets: [name], summary: summary,
                                      presented: presented)
        } catch let error as JarvisError where error.status == 428 {
            var refusal = JarvisError(409, "stack_required", "stack \(name) is required by running stack(s) \(dependents.joined(separator: ", ")): "
                                      + "stop them first, or confirm with the token to \(operation.rawValue) it anyway")
            refusal.confirmation = error.confirmation
            throw refusal
        }
    }
}
