import Compose
import DockerEngine
import Foundation
import JarvisStore

public struct StackSummary: Encodable, Sendable {
    public let name: String
    /// running, partial, stopped (stopped also when nothing was ever deployed).
    public let status: String
    public let services: Int
    public let running: Int
    public let containers: Int
    public let path: String?
    /// Started from a folder outside the stacks folder (by the CLI, usually).
    public let external: Bool
    /// The host's name, in lists that span hosts.
    public var host: String?
}

public struct StackDocument: Encodable, Sendable {
    public let name: String
    public let path: String?
    public let external: Bool
    public let editable: Bool
    public let fileName: String?
    public let compose: String?
    public let env: String?
    public let status: String
    public let services: [String]
    public let errors: [ComposeIssue]
    public let warnings: [ComposeIssue]
    /// Settings that reach into the host; only an admin may save or deploy a file with any.
    public let hostAccess: [ComposeIssue]
}

public struct StackValidation: Encodable, Sendable {
    public let valid: Bool
    public let services: [String]
    public let errors: [ComposeIssue]
    public let warnings: [ComposeIssue]
    public let hostAccess: [ComposeIssue]
}

public struct StackPlanView: Encodable, Sendable {
    public let operation: String
    public let text: String
    public let empty: Bool
    /// Host ports already held by other containers: `up` would fail on them.
    public let conflicts: [String]
    /// On another host: what its bind mounts refer to (that machine's filesystem).
    public let notes: [String]
}

public struct StackContainerView: Encodable, Sendable {
    public let id: String
    public let name: String
    public let number: Int
    public let state: String
    public let status: String
    public let health: String?
    public let image: String
    public let ports: [ContainerView.PortView]
}

public struct StackServiceView: Encodable, Sendable {
    public let name: String
    public let image: String?
    public let replicas: Int
    public let containers: [StackContainerView]
}

public struct StackFiles: Decodable, Sendable {
    public var name: String?
    public var compose: String
    public var env: String?
}

public struct StackOperationRequest: Decodable, Sendable {
    public var services: [String]?
    public var removeVolumes: Bool?
    public var waitTimeout: Int?
    /// Compose's `--renew-anon-volumes`: recreated containers get new anonymous volumes instead of the old ones.
    public var renewAnonVolumes: Bool?

    public init(services: [String]? = nil, removeVolumes: Bool? = nil, waitTimeout: Int? = nil, renewAnonVolumes: Bool? = nil) {
        self.services = services
        self.removeVolumes = removeVolumes
        self.waitTimeout = waitTimeout
        self.renewAnonVolumes = renewAnonVolumes
    }
}

/// The stacks folder and the engine's Compose projects, as requests see them;
/// operations are queued as `stack.*` tasks the runner carries out.
public final class StackService: Sendable {
    public let folder: StacksFolder
    let docker: DockerClient
    let tasks: TaskService
    /// The engine these stacks run on.
    public let host: HostRecord
    /// Where Jarvis writes the files it generates for these stacks (inline configs and secrets).
    public let generatedRoot: String
    private let observer: StackObserver
    public static let maxFileBytes = 1 << 20

    init(folder: StacksFolder, docker: DockerClient, tasks: TaskService, host: HostRecord, generatedRoot: String) {
        self.folder = folder
        self.host = host
        self.generatedRoot = generatedRoot
        self.docker = docker
        self.tasks = tasks
        observer = StackObserver(docker: docker)
    }

    /// Where a stack lives: its folder under the stacks folder, or an external project's working directory.
    struct Location {
        let name: String
        let path: String?
        let external: Bool
        let containers: [ContainerSummary]
    }

    func locate(_ name: String) async throws -> Location {
        let path = try folder.folder(name)
        let containers = try await withEngineErrors { try await observer.projects()[name] ?? [] }
        if ComposeLoader.composeFile(in: path) != nil { return Location(name: name, path: path, external: false, containers: containers) }
        guard !containers.isEmpty else { throw JarvisError.notFound("no stack \(name)") }
        let workingDir = containers.compactMap { $0.labels?[ComposeLabel.workingDir] }.first
        return Location(name: name, path: workingDir, external: true, containers: containers)
    }

    // MARK: reading

    public func list() async throws -> [StackSummary] {
        let projects = try await withEngineErrors { try await observer.projects() }
        var summaries: [StackSummary] = []
        for name in folder.scan() {
            let path = try folder.folder(name)
            let declared = (try? ComposeLoader().load(folder: path, name: name))?.services.count
            summaries.append(summary(name, path: path, external: false, containers: projects[name] ?? [], declared: declared))
        }
        let managed = Set(summaries.map(\.name))
        for (name, containers) in projects where !managed.contains(name) && !name.isEmpty {
            let path = containers.compactMap { $0.labels?[ComposeLabel.workingDir] }.first
            summaries.append(summary(name, path: path, external: true, containers: containers, declared: nil))
        }
        return summaries.sorted { $0.name < $1.name }
    }

    /// The stack's files and findings; viewers get secret values masked (`SecretMask`), line numbers unchanged.
    public func document(_ name: String, role: Role = .viewer) async throws -> StackDocument {
        let location = try await locate(name)
        var compose: String?, env: String?, fileName: String?
        var errors: [ComposeIssue] = [], warnings: [ComposeIssue] = [], hostAccess: [ComposeIssue] = [], services: [String] = []
        // An external project's folder comes from a label anyone who can create a container can write: never read it.
        if !location.external, let path = location.path, FileManager.default.isReadableFile(atPath: path) {
            fileName = ComposeLoader.composeFile(in: path)
            compose = try fileName.flatMap { try StacksFolder.readInside(path, $0) }
            env = try StacksFolder.readInside(path, ".env")
            if compose != nil {
                do {
                    let project = try ComposeLoader().load(folder: path, name: name)
                    warnings = project.warnings
                    hostAccess = project.hostAccess
                    services = project.orderedServiceNames
                } catch let error as ComposeError {
                    errors = error.issues
                    warnings = error.warnings
                    hostAccess = error.hostAccess
                }
            }
        }
        if services.isEmpty { services = Set(location.containers.compactMap { $0.labels?[ComposeLabel.service] }).sorted() }
        if role < .operator_ {
            compose = compose.map(SecretMask.maskComposeText)
            env = env.map(SecretMask.maskEnvText)
        }
        return StackDocument(name: name, path: location.path, external: location.external, editable: !location.external,
                             fileName: fileName, compose: compose, env: env, status: Self.status(location.containers),
                             services: services, errors: errors, warnings: warnings, hostAccess: hostAccess)
    }

    /// Checks a Compose text (and `.env`) as saving would, without saving.
    public func validate(_ name: String, _ files: StackFiles) throws -> StackValidation {
        let path = try folder.folder(name)
        do {
            let project = try load(path, name, files)
            return StackValidation(valid: true, services: project.orderedServiceNames, errors: [], warnings: project.warnings,
                                   hostAccess: project.hostAccess)
        } catch let error as ComposeError {
            return StackValidation(valid: false, services: [], errors: error.issues, warnings: error.warnings, hostAccess: error.hostAccess)
        }
    }

    public func plan(_ name: String, operation: StackOperation, request: StackOperationRequest) async throws -> StackPlanView {
        let location = try await locate(name)
        let path = try deployableFolder(location, for: operation)
        do {
            let project = try await StackLoading.project(name, folder: path, operation: operation, observer: observer)
            let services = try selectedServices(request, in: project)
            let observed = try await withEngineErrors { try await observer.observe(project) }
            let plan = try Planner(project: project, observed: observed).plan(operation, services: services,
                                                                              removeVolumes: request.removeVolumes ?? false,
                                                                              renewAnonymousVolumes: request.renewAnonVolumes ?? false)
            let conflicts = operation == .up
                ? try await withEngineErrors { try await StackLoading.portConflicts(project, services: services, docker: docker) } : []
            return StackPlanView(operation: operation.rawValue, text: plan.text, empty: plan.isEmpty, conflicts: conflicts,
                                 notes: RemoteStack.notes(project, host: host))
        } catch let error as TaskFailure {
            throw JarvisError(422, "invalid_stack", error.description)
        } catch let error as PlanError {
            throw JarvisError(422, "invalid_plan", error.message)
        }
    }

    public func services(_ name: String) async throws -> [StackServiceView] {
        let location = try await locate(name)
        var declared: [String: ComposeService] = [:]
        var order: [String] = []
        if !location.external, let path = location.path, let project = try? ComposeLoader().load(folder: path, name: name) {
            declared = project.services
            order = project.orderedServiceNames
        }
        let byService = Dictionary(grouping: location.containers) { $0.labels?[ComposeLabel.service] ?? "" }
        order += byService.keys.filter { !$0.isEmpty && declared[$0] == nil }.sorted()
        var views: [StackServiceView] = []
        for service in order {
            var containers: [StackContainerView] = []
            for summary in (byService[service] ?? []).sorted(by: { Self.number($0) < Self.number($1) }) {
                // Health is only in the inspect answer; the status text carries it too: "Up 3 s (healthy)".
                let health = ["healthy", "unhealthy", "health: starting"].first { summary.status.contains("(\($0))") }
                containers.append(StackContainerView(id: summary.id, name: summary.name, number: Self.number(summary), state: summary.state,
                                                     status: summary.status, health: health.map { $0 == "health: starting" ? "starting" : $0 },
                                                     image: summary.image, ports: summary.ports.map(ContainerView.PortView.init)))
            }
            views.append(StackServiceView(name: service, image: declared[service].map { $0.image ?? "\(name)-\(service)" }
                                            ?? byService[service]?.first?.image,
                                          replicas: declared[service]?.replicas ?? containers.count, containers: containers))
        }
        return views
    }

    public func history(_ name: String, page: Int, pageSize: Int) throws -> (tasks: [TaskRecord], total: Int) {
        _ = try folder.folder(name)
        var filter = TaskFilter(target: "stack:\(name)")
        filter.page = page
        filter.pageSize = pageSize
        return try tasks.list(filter)
    }

    // MARK: writing

    public func create(_ files: StackFiles, by principal: Principal) throws -> StackDocument {
        guard let name = files.name else { throw JarvisError.invalidField("name", "name the stack") }
        let path = try folder.folder(name)
        if folder.reserved.contains(name) {
            throw JarvisError(409, "stack_exists", "\(name) is the name of a host, whose stacks live in the folder of that name; choose another name")
                .field("name")
        }
        if FileManager.default.fileExists(atPath: path) { throw JarvisError(409, "stack_exists", "a stack folder \(name) already exists") }
        let project = try validated(path, name, files)
        try Self.requireAdmin(for: project, principal, to: "create")
        do {
            try FileManager.default.createDirectory(atPath: folder.root, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } catch {
            throw JarvisError(500, "write_failed", "cannot create the stack folder \(path): \(error.localizedDescription)")
        }
        try StacksFolder.write(files.compose, to: path, "compose.yaml")
        if let env = files.env, !env.isEmpty { try StacksFolder.write(env, to: path, ".env") }
        return saved(name, path, files, project)
    }

    /// Validates first: an invalid file is refused with every finding and nothing is written.
    public func save(_ name: String, _ files: StackFiles, by principal: Principal) async throws -> StackDocument {
        let location = try await locate(name)
        guard !location.external, let path = location.path else {
            throw JarvisError(409, "external_stack", "stack \(name) lives outside the stacks folder (\(location.path ?? "no folder")); edit it there")
        }
        let project = try validated(path, name, files)
        try Self.requireAdmin(for: project, principal, to: "save")
        let fileName = ComposeLoader.composeFile(in: path) ?? "compose.yaml"
        try StacksFolder.write(files.compose, to: path, fileName)
        if let env = files.env {
            if env.isEmpty, FileManager.default.fileExists(atPath: path + "/.env") {
                try StacksFolder.write("", to: path, ".env")
            } else if !env.isEmpty {
                try StacksFolder.write(env, to: path, ".env")
            }
        }
        return saved(name, path, files, project, fileName: fileName, status: Self.status(location.containers))
    }

    /// Moves the folder to `.deleted/` in the stacks folder (nothing is lost); refused while containers exist.
    public func delete(_ name: String) async throws -> String {
        let location = try await locate(name)
        guard location.containers.isEmpty else {
            throw JarvisError(409, "stack_running", "stack \(name) still has \(location.containers.count) container(s): take it down first")
        }
        guard !location.external, let path = location.path else { throw JarvisError.notFound("no stack \(name)") }
        let trash = folder.root + "/.deleted"
        try? FileManager.default.createDirectory(atPath: trash, withIntermediateDirectories: true)
        let stamp = Timestamp.string().replacingOccurrences(of: ":", with: "")
        let destination = "\(trash)/\(name).\(stamp)"
        guard rename(path, destination) == 0 else {
            throw JarvisError(500, "delete_failed", "cannot move \(path) aside: \(String(cString: strerror(errno)))")
        }
        return destination
    }

    public func enqueue(_ name: String, _ operation: StackOperation, _ request: StackOperationRequest, by principal: Principal) async throws -> TaskRecord {
        let params = try await validatedOperation(name, operation, request, by: principal)
        let scope = params.services.isEmpty ? "" : " (\(params.services.joined(separator: ", ")))"
        let title = "\(operation.rawValue.capitalized) stack \(name)\(scope)" + (params.removeVolumes ? " with volumes" : "")
        return try tasks.enqueue(kind: TaskKind.stack(operation), title: title, target: "stack:\(name)", params: params, by: principal,
                                 host: host.id)
    }

    /// Queues `stack.update`: checked as an `up` of the same services is (the file, the deploy rights).
    public func enqueueUpdate(_ name: String, _ request: StackOperationRequest, by principal: Principal) async throws -> TaskRecord {
        let params = try await validatedOperation(name, .up, request, by: principal)
        let scope = params.services.isEmpty ? "" : " (\(params.services.joined(separator: ", ")))"
        return try tasks.enqueue(kind: TaskKind.stackUpdate, title: "Update stack \(name)\(scope)", target: "stack:\(name)", params: params,
                                 by: principal, host: host.id)
    }

    /// Everything an operation is checked for before it is queued (and again when it is retried).
    func validatedOperation(_ name: String, _ operation: StackOperation, _ request: StackOperationRequest,
                                    by principal: Principal) async throws -> StackParams {
        let location = try await locate(name)
        let path = try deployableFolder(location, for: operation)
        if [.up, .pull].contains(operation) {
            let project: ComposeProject
            do {
                project = try ComposeLoader().load(folder: path, name: name)
            } catch let error as ComposeError {
                var refusal = JarvisError(422, "invalid_compose", "the stack's file is not valid: " + (error.issues.first?.description ?? ""))
                refusal.issues = error.issues
                throw refusal
            }
            let services = try selectedServices(request, in: project)
            if operation == .up {
                try Self.requireAdmin(for: project, principal, to: "deploy")
                try RemoteStack.requireDeployable(project, services: services, host: host)
            }
        }
        let timeout = request.waitTimeout ?? 300
        guard (1...3600).contains(timeout) else { throw JarvisError.invalidField("wait_timeout", "seconds, 1 to 3600") }
        return StackParams(stack: name, folder: path, operation: operation, services: request.services ?? [],
                           removeVolumes: request.removeVolumes ?? false, waitTimeout: timeout,
                           renewAnonymousVolumes: request.renewAnonVolumes)
    }

    /// Copies an external project's Compose file and `.env` into the stacks folder, after which it is managed
    /// like any other stack (relative paths in it then resolve inside the new folder). Admins only.
    public func adopt(_ name: String) async throws -> StackDocument {
        let location = try await locate(name)
        guard location.external, let source = location.path else {
            throw JarvisError(409, "not_external", "stack \(name) is already in the stacks folder")
        }
        guard let fileName = ComposeLoader.composeFile(in: source), let compose = try StacksFolder.readInside(source, fileName) else {
            throw JarvisError(409, "no_files", "the project's folder \(source) has no readable Compose file")
        }
        let env = try StacksFolder.readInside(source, ".env")
        let path = try folder.folder(name)
        do {
            try FileManager.default.createDirectory(atPath: folder.root, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } catch {
            throw JarvisError(409, "stack_exists", "cannot create the stack folder \(path): \(error.localizedDescription)")
        }
        try StacksFolder.write(compose, to: path, "compose.yaml")
        if let env { try StacksFolder.write(env, to: path, ".env") }
        return try await document(name, role: .admin)
    }

    /// Checks a retry of a stack task as a new request of the same operation by `principal`, with the file as it is now.
    public func checkRetry(_ task: TaskRecord, by principal: Principal) async throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let params = try? decoder.decode(StackParams.self, from: Data(task.params.utf8)) else {
            throw JarvisError(409, "task_not_retryable", "the parameters of task \(task.id) are unreadable; start the operation again")
        }
        let request = StackOperationRequest(services: params.services, removeVolumes: params.removeVolumes, waitTimeout: params.waitTimeout,
                                            renewAnonVolumes: params.renewAnonymousVolumes)
        _ = try await validatedOperation(params.stack, params.operation, request, by: principal)
    }

    /// The folder an operation reads: a managed stack's own; for an external project (whose files are not trusted)
    /// the managed path, which has no file, so that down/stop/start/restart work from the containers' labels.
    private func deployableFolder(_ location: Location, for operation: StackOperation) throws -> String {
        guard location.external else {
            guard let path = location.path else { throw JarvisError(409, "no_files", "stack \(location.name) has no folder Jarvis knows") }
            return path
        }
        if [.up, .pull].contains(operation) {
            throw JarvisError(409, "external_stack", "stack \(location.name) was started from \(location.path ?? "a folder") outside the stacks "
                              + "folder; Jarvis does not deploy files it does not manage (an admin can adopt the stack first)")
        }
        return try folder.folder(location.name)
    }

    // MARK: helpers

    private func load(_ path: String, _ name: String, _ files: StackFiles) throws -> ComposeProject {
        guard files.compose.utf8.count <= Self.maxFileBytes, (files.env ?? "").utf8.count <= Self.maxFileBytes else {
            throw JarvisError(413, "too_large", "a Compose file or .env may be at most 1 MiB")
        }
        return try ComposeLoader().load(folder: path, name: name, text: files.compose, fileName: "compose.yaml", envText: files.env ?? "")
    }

    private func validated(_ path: String, _ name: String, _ files: StackFiles) throws -> ComposeProject {
        do {
            return try load(path, name, files)
        } catch let error as ComposeError {
            let count = error.issues.count
            var refusal = JarvisError(422, "invalid_compose", (count == 1 ? "" : "\(count) problems; first: ") + (error.issues.first?.description ?? ""))
            refusal.issues = error.issues
            throw refusal
        }
    }

    /// Operators run stacks; handing a container the host (its paths, devices, network, privileges) is an admin's call.
    static func requireAdmin(for project: ComposeProject, _ principal: Principal, to verb: String) throws {
        guard principal.role < .admin, let first = project.hostAccess.first else { return }
        var refusal = JarvisError(403, "admin_required", "only an admin may \(verb) a stack that reaches into the host: "
                                  + "\(first.path) \(first.message)" + (project.hostAccess.count > 1 ? " (and \(project.hostAccess.count - 1) more)" : ""))
        refusal.issues = project.hostAccess.map { issue in var issue = issue; issue.severity = .error; return issue }
        throw refusal
    }

    private func saved(_ name: String, _ path: String, _ files: StackFiles, _ project: ComposeProject,
                       fileName: String = "compose.yaml", status: String = "stopped") -> StackDocument {
        StackDocument(name: name, path: path, external: false, editable: true, fileName: fileName, compose: files.compose, env: files.env,
                      status: status, services: project.orderedServiceNames, errors: [], warnings: project.warnings,
                      hostAccess: project.hostAccess)
    }

    private func selectedServices(_ request: StackOperationRequest, in project: ComposeProject) throws -> [String] {
        let services = request.services ?? []
        for (index, service) in services.enumerated() where project.services[service] == nil {
            throw JarvisError.invalidField("services[\(index)]", "no service \(service.prefix(64)) in the stack")
        }
        return services
    }

    private func summary(_ name: String, path: String?, external: Bool, containers: [ContainerSummary], declared: Int?) -> StackSummary {
        let services = declared ?? Set(containers.compactMap { $0.labels?[ComposeLabel.service] }).count
        return StackSummary(name: name, status: Self.status(containers), services: services,
                            running: containers.filter { $0.state == "running" }.count, containers: containers.count,
                            path: path, external: external)
    }

    /// Running when something runs and nothing else failed (a one-shot job that exited 0 is fine).
    static func status(_ containers: [ContainerSummary]) -> String {
        let running = containers.filter { $0.state == "running" }.count
        guard running > 0 else { return "stopped" }
        let idle = containers.filter { $0.state != "running" && !($0.state == "exited" && $0.status.hasPrefix("Exited (0)")) }
        return idle.isEmpty ? "running" : "partial"
    }

    private static func number(_ summary: ContainerSummary) -> Int {
        Int(summary.labels?[ComposeLabel.number] ?? "") ?? 1
    }
}
