import Compose
import DockerEngine
import Foundation

/// What the API stores for a stack task.
public struct StackParams: Codable, Sendable {
    public var stack: String
    public var folder: String
    public var operation: StackOperation
    public var services: [String]
    public var removeVolumes: Bool
    /// Seconds a `service_healthy` or `service_completed_successfully` wait may take.
    public var waitTimeout: Int
    /// `up` recreates containers with fresh anonymous volumes (Compose's `--renew-anon-volumes`);
    /// by default they carry the old container's over. Optional: older tasks have no such field.
    public var renewAnonymousVolumes: Bool? = nil
}

extension TaskKind {
    public static func stack(_ operation: StackOperation) -> String { "stack." + operation.rawValue }
}

/// `stack.up`, `stack.down`, …: loads the file, observes the engine, plans, and runs
/// the plan's steps; service chains run in parallel where `depends_on` allows.
struct StackExecutor: TaskExecutor {
    struct Result: Encodable {
        let stack: String
        let operation: String
        let steps: Int
        let plan: String
    }

    static func all() -> [String: any TaskExecutor] {
        Dictionary(uniqueKeysWithValues: StackOperation.allCases.map { (TaskKind.stack($0), StackExecutor() as any TaskExecutor) })
    }

    func run(_ context: TaskContext) async throws -> TaskOutcome {
        TaskOutcome(try await Self.perform(try ImageTaskExecutors.decode(StackParams.self, context), context))
    }

    /// One operation of a stack within a task (an update runs pull, then up, then maybe up again).
    static func perform(_ params: StackParams, _ context: TaskContext) async throws -> Result {
        let observer = StackObserver(docker: context.docker)
        let project = try await StackLoading.project(params.stack, folder: params.folder, operation: params.operation, observer: observer)
        // The file read now is the one deployed: an operator's task re-checks it (builds and env_files are read by Jarvis, not the engine).
        if [.up, .pull].contains(params.operation), let actor = HostAccess.actor, actor.role < .admin, let first = project.hostAccess.first {
            throw TaskFailure("only an admin may deploy a stack that reaches into the host: \(first.path) \(first.message)")
        }
        // Fields that moved or appeared between Engine API versions follow the negotiated one.
        let apiMinor = try await context.docker.apiVersion().minor
        if params.operation == .up {
            let unsupported = EngineSpec(project: project, apiMinor: apiMinor).unsupportedByEngine()
            guard unsupported.isEmpty else { throw TaskFailure(unsupported.joined(separator: "; ")) }
            // Stacks this one requires (`x-jarvis.requires`) come up first, healthy, in this task.
            if params.services.isEmpty { try await StackRequires.startRequired(params, context: context, apiMinor: apiMinor) }
        }
        let observed = try await observer.observe(project)
        if params.operation == .up {
            let conflicts = try await StackLoading.portConflicts(project, services: params.services, docker: context.docker)
            guard conflicts.isEmpty else { throw TaskFailure(conflicts.joined(separator: "; ")) }
        }
        let plan: Plan
        do {
            plan = try Planner(project: project, observed: observed).plan(params.operation, services: params.services,
                                                                          removeVolumes: params.removeVolumes,
                                                                          renewAnonymousVolumes: params.renewAnonymousVolumes ?? false)
        } catch let error as PlanError {
            throw TaskFailure(error.message)
        }
        for line in plan.text.split(separator: "\n") { await context.log(String(line)) }
        let run = StackRun(context: context, project: project, observed: observed, plan: plan, waitTimeout: params.waitTimeout, apiMinor: apiMinor)
        try await run.execute()
        return Result(stack: params.stack, operation: params.operation.rawValue, steps: run.done, plan: plan.text)
    }
}

/// Loading a stack's project for a task or a preview.
enum StackLoading {
    /// The file's project; for operations that need no file, the labels' project when the file is gone.
    static func project(_ name: String, folder: String, operation: StackOperation, observer: StackObserver) async throws -> ComposeProject {
        do {
            return try ComposeLoader().load(folder: folder, name: name)
        } catch let error as ComposeError {
            guard ![.up, .pull].contains(operation), ComposeLoader.composeFile(in: folder) == nil else {
                throw TaskFailure("the stack's file is not valid: " + error.description)
            }
            let labelled = try await labelledProject(name, docker: observer.docker)
            guard !labelled.services.isEmpty else { throw TaskFailure("stack \(name) has no file and no containers") }
            return labelled
        }
    }

    static func labelledProject(_ name: String, docker: DockerClient) async throws -> ComposeProject {
        let label = ["label": ["\(ComposeLabel.project)=\(name)"]]
        let containers = try await docker.containers(ListContainersOptions(all: true, filters: label))
        var networks: [String: String] = [:]
        for network in try await docker.networks(filters: label) {
            networks[network.labels?[ComposeLabel.network] ?? network.name] = network.name
        }
        return .fromLabels(name: name, containerLabels: containers.compactMap(\.labels).filter { $0[ComposeLabel.oneoff] != "True" },
                           networks: networks)
    }

    /// Host ports the chosen services publish that a running container of another project already holds.
    static func portConflicts(_ project: ComposeProject, services selected: [String], docker: DockerClient) async throws -> [String] {
        let chosen = selected.isEmpty ? Array(project.services.keys) : selected
        let running = try await docker.containers(ListContainersOptions(all: false))
            .filter { $0.labels?[ComposeLabel.project] != project.name }
        var conflicts: [String] = []
        for name in chosen.sorted() {
            guard let service = project.services[name] else { continue }
            for mapping in service.ports {
                for port in mapping.publishedPorts {
                    for container in running {
                        guard let held = container.ports.first(where: { binding in
                            binding.publicPort == port && binding.type == mapping.proto && overlaps(binding.ip, mapping.hostIP)
                        }) else { continue }
                        let address = (held.ip.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "0.0.0.0") + ":\(port)/\(mapping.proto)"
                        conflicts.append("port conflict: service \(name) publishes \(mapping.hostIP ?? "0.0.0.0"):\(port)/\(mapping.proto), "
                                         + "but container \(container.name) already holds \(address)")
                    }
                }
            }
        }
        return Array(Set(conflicts)).sorted()
    }

    /// Two host addresses collide when either is a wildcard or they are equal.
    private static func overlaps(_ held: String?, _ wanted: String?) -> Bool {
        let wildcards: Set<String> = ["", "0.0.0.0", "::"]
        let a = held ?? "", b = wanted ?? ""
        return wildcards.contains(a) || wildcards.contains(b) || a == b
    }
}

/// One plan being carried out: progress, created container ids, parallel chains.
final class StackRun: @unchecked Sendable {
    let context: TaskContext
    let project: ComposeProject
    let observed: ObservedProject
    let plan: Plan
    let waitTimeout: Int
    let spec: EngineSpec
    private let lock = NSLock()
    private var containerIDs: [String: String] = [:]
    private(set) var done = 0
    private let total: Int

    init(context: TaskContext, project: ComposeProject, observed: ObservedProject, plan: Plan, waitTimeout: Int, apiMinor: Int) {
        self.context = context
        self.project = project
        self.observed = observed
        self.plan = plan
        self.waitTimeout = waitTimeout
        spec = EngineSpec(project: project, apiMinor: apiMinor)
        total = (plan.prelude + plan.services.flatMap(\.steps) + plan.cleanup).filter { $0.action.changesSomething }.count
        for container in observed.containers where container.number == 1 { containerIDs[container.service] = container.id }
    }

    func execute() async throws {
        await context.emit(.progress(0, of: Int64(total), "starting", unit: "steps"))
        for step in plan.prelude { try await perform(step) }
        try await withThrowingTaskGroup(of: String.self) { group in
            var finished = Set<String>()
            var started = Set<String>()
            func startReady() {
                for service in plan.services where !started.contains(service.service) && service.after.allSatisfy(finished.contains) {
                    started.insert(service.service)
                    group.addTask { [self] in
                        for step in service.steps { try await perform(step) }
                        return service.service
                    }
                }
            }
            startReady()
            while let name = try await group.next() {
                finished.insert(name)
                startReady()
            }
        }
        for step in plan.cleanup { try await perform(step) }
    }

    private func perform(_ step: PlanStep) async throws {
        try Task.checkCancellation()
        guard step.action.changesSomething else { return }
        await context.log("→ " + step.text)
        do {
            try await act(step.action)
        } catch let error as EngineError {
            throw TaskFailure("\(step.text): \(error.message)")
        }
        let count = lock.withLock { done += 1; return done }
        await context.emit(.progress(Int64(count), of: Int64(total), step.text, unit: "steps"))
    }

    private func act(_ action: PlanAction) async throws {
        let docker = context.docker
        switch action {
        case let .createNetwork(key, _):
            _ = try await docker.createNetwork(body: spec.networkBody(key))
        case let .createVolume(key, _):
            _ = try await docker.createVolume(body: spec.volumeBody(key))
        case let .pullImage(image):
            try await pull(image)
        case let .buildImage(service, image):
            try await build(project.services[service]!, tag: image)
        case let .createContainer(service, number, name):
            _ = try await create(project.services[service]!, number: number, name: name)
        case let .recreateContainer(service, number, name, id):
            try await recreate(project.services[service]!, number: number, name: name, oldID: id)
        case let .startContainer(service, name):
            try await docker.startContainer(name)
            try await postStart(service, name)
        case let .stopContainer(service, _, id):
            try await preStop(service, id)
            try await docker.stopContainer(id, timeout: grace(service))
        case let .restartContainer(service, _, id):
            try await docker.restartContainer(id, timeout: grace(service))
        case let .removeContainer(_, _, id):
            try await remove(id)
        case .keepContainer:
            break
        case let .waitHealthy(service):
            try await wait(for: service, healthy: true)
        case let .waitCompleted(service):
            try await wait(for: service, healthy: false)
        case let .removeNetwork(name):
            do { try await docker.removeNetwork(name) } catch let error as EngineError where error.code == .notFound {}
        case let .removeVolume(name):
            do { try await docker.removeVolume(name) } catch let error as EngineError where error.code == .notFound {}
        }
    }

    /// Removes a container; for `down` with volumes also its anonymous volumes. The engine's `v=1`
    /// skips a volume mounted by name, which is how a recreated container holds the volumes it
    /// inherited, so those (engine-named: 64 hex digits, not one of the file's) are removed after it.
    private func remove(_ id: String) async throws {
        let docker = context.docker
        guard plan.removesAnonymousVolumes else { return try await docker.removeContainer(id) }
        let named = Set(project.volumes.values.map(\.name))
        let anonymous = ((try? await docker.container(id))?.mounts ?? []).compactMap { mount -> String? in
            guard mount.type == "volume", let name = mount.name, !named.contains(name),
                  name.count == 64, name.allSatisfy(\.isHexDigit) else { return nil }
            return name
        }
        try await docker.removeContainer(id, volumes: true)
        for volume in anonymous {
            // Gone already (v=1 took it) or still used by another container: either way not ours to force.
            do { try await docker.removeVolume(volume) } catch let error as EngineError where [.notFound, .conflict].contains(error.code) {}
        }
    }

    private func postStart(_ service: String, _ container: String) async throws {
        guard let hooks = project.services[service]?.postStart, !hooks.isEmpty else { return }
        do {
            try await StackHooks(docker: context.docker).run(hooks, in: container, service: service, kind: "post_start", timeout: waitTimeout)
        } catch let overdue as StackHooks.Overdue {
            throw TaskFailure(overdue.description)
        }
    }

    /// Only a running container can exec; one already stopped has nothing to prepare.
    private func preStop(_ service: String, _ container: String) async throws {
        guard let hooks = project.services[service]?.preStop, !hooks.isEmpty,
              (try? await context.docker.container(container).state.running) == true else { return }
        do {
            try await StackHooks(docker: context.docker).run(hooks, in: container, service: service, kind: "pre_stop", timeout: waitTimeout)
        } catch let overdue as StackHooks.Overdue {
            // The stop goes ahead (and ends the hook's exec with the container): a hook may not keep a service running.
            await context.log("\(overdue.description); stopping the container anyway")
        }
    }

    private func grace(_ service: String) -> Int? {
        project.services[service]?.stopGracePeriod.map { Int($0.rounded(.up)) }
    }

    /// Creates the container, joins its further networks, and remembers its id for `network_mode: service:`.
    private func create(_ service: ComposeService, number: Int, name: String, inherited: [ObservedMount] = []) async throws -> String {
        // The id of the image as it is now (pulled or built moments ago), for the com.docker.compose.image label.
        let imageID = try? await context.docker.image(Planner.withTag(service.image ?? "\(project.name)-\(service.name)")).id
        let body = spec.containerBody(for: service, number: number, materialized: { [self] key, object in materialize(key, object) },
                                      serviceContainer: { [self] other in lock.withLock { containerIDs[other] } }, inherited: inherited,
                                      imageID: imageID)
        let id: String
        if let platform = service.engine?.platform {
            // DockerClient.createContainer has no platform; the query parameter exists since API 1.41.
            struct Created: Decodable { let Id: String }
            let response = try await context.docker.send(EngineRequest("POST", "/containers/create", query: [("name", name), ("platform", platform)],
                                                                       body: [UInt8](try JSONSerialization.data(withJSONObject: body))))
            id = try JSONDecoder().decode(Created.self, from: Data(response.body)).Id
        } else {
            id = try await context.docker.createContainer(name: name, body: body)
        }
        for key in spec.networkKeys(for: service).dropFirst() {
            guard let network = project.networks[key] else { continue }
            try await context.docker.connectNetwork(network.name, container: id, endpoint: spec.endpoint(for: service, network: key))
        }
        if number == 1 { lock.withLock { containerIDs[service.name] = id } }
        return id
    }

    /// As Compose does: stop the old one and set it aside under another name, create the new one,
    /// remove the old one, start the new one. If the create fails the old container comes back.
    private func recreate(_ service: ComposeService, number: Int, name: String, oldID: String) async throws {
        let docker = context.docker
        // Read before anything moves: the volumes the new container takes over, from the image it will run.
        var inherited: [ObservedMount] = []
        if !plan.renewsAnonymousVolumes {
            let old = try await docker.container(oldID)
            let mounts = (old.mounts ?? []).map { ObservedMount(type: $0.type ?? "", name: $0.name, destination: $0.destination, readWrite: $0.rw ?? true) }
            let reference = Planner.withTag(service.image ?? "\(project.name)-\(service.name)")
            let image = try? await StackObserver(docker: docker).imageFacts(reference)
            inherited = AnonymousVolumes.inherited(by: service, from: mounts, imageVolumes: image?.volumes ?? [])
        }
        let wasRunning = observed.containers.first { $0.id == oldID }.map { ["running", "restarting"].contains($0.state) } ?? false
        if wasRunning {
            try await preStop(service.name, oldID)
            try await docker.stopContainer(oldID, timeout: grace(service.name))
        }
        let asideName = "\(oldID.prefix(12))_\(name)"
        try await docker.renameContainer(oldID, to: asideName)
        let newID: String
        do {
            newID = try await create(service, number: number, name: name, inherited: inherited)
        } catch {
            try? await docker.renameContainer(oldID, to: name)
            if wasRunning { try? await docker.startContainer(oldID) }
            throw error
        }
        try await docker.removeContainer(oldID)
        try await docker.startContainer(newID)
        try await postStart(service.name, newID)
    }

    /// Inline configs and secrets from variables become files under the data folder, mounted read-only.
    private func materialize(_ key: String, _ object: FileObject) -> String {
        let folder = context.host.stacks.generatedRoot + "/\(project.name)"
        let path = folder + "/" + key
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        unlink(path)
        FileManager.default.createFile(atPath: path, contents: Data((object.content ?? "").utf8), attributes: [.posixPermissions: 0o444])
        return path
    }

    private func pull(_ image: String) async throws {
        guard let reference = ImageReference(image) else { throw TaskFailure("not an image reference: \(image)") }
        var auth: RegistryAuth?
        if let saved = try context.savedCredential(registry: reference.registry) {
            auth = RegistryAuth(username: saved.username, password: saved.password,
                                serverAddress: reference.registry == ImageReference.dockerHub ? "https://index.docker.io/v1/" : reference.registry)
        }
        // A service's `platform` picks the variant pulled, as docker compose pulls it.
        let platform = project.services.values.sorted { $0.name < $1.name }
            .first { Planner.withTag($0.image ?? "") == image && $0.engine?.platform != nil }?.engine?.platform
        for try await message in try await context.docker.pullImage(reference.repository, tag: reference.tag, auth: auth, platform: platform) {
            if let failure = message.failure { throw TaskFailure("pull image \(image): \(failure)") }
            if message.id != nil, message.progressDetail != nil { await context.track(message) }
        }
        await context.flushLayers()
    }

    /// The engine's classic builder; a local context folder is sent as a tar made by `tar`.
    private func build(_ service: ComposeService, tag: String) async throws {
        guard let spec = service.build else { return }
        var options = BuildOptions()
        options.tags = [tag]
        options.dockerfile = spec.dockerfile
        options.buildArgs = spec.args
        options.target = spec.target
        options.noCache = spec.noCache
        options.pull = spec.pull
        if !spec.needsBuildKit.isEmpty {
            throw TaskFailure("build of service \(service.name) uses \(spec.needsBuildKit.joined(separator: ", ")), which the engine's classic builder "
                              + "(the one Jarvis drives) cannot do: build the image with docker buildx and give the service its image")
        }
        options.tags += spec.tags
        options.labels = spec.labels
        options.cacheFrom = spec.cacheFrom
        options.extraHosts = spec.extraHosts
        options.shmSize = spec.shmSize
        options.networkMode = spec.network
        options.isolation = spec.isolation
        options.platform = spec.platforms.first ?? service.engine?.platform
        var contextFile: String?
        if spec.context.contains("://") || spec.context.hasPrefix("git@") {
            if spec.dockerfileInline != nil { throw TaskFailure("build of service \(service.name): dockerfile_inline needs a local context folder, not a Git URL") }
            options.remote = spec.context
        } else {
            let archive = context.dataDir + "/uploads/\(context.task.id)-stack-context.tar"
            try FileManager.default.createDirectory(atPath: context.dataDir + "/uploads", withIntermediateDirectories: true)
            try TarFile.create(archive, from: spec.context)
            contextFile = archive
            if let inline = spec.dockerfileInline {
                // The classic builder reads the Dockerfile from the context, so the inline text joins the archive.
                options.dockerfile = try TarFile.append(archive, name: ".jarvis-inline.Dockerfile", contents: inline)
            }
        }
        defer { if let contextFile { unlink(contextFile) } }
        for try await message in try await context.docker.buildImage(options, contextFile: contextFile) {
            if let failure = message.failure {
                await context.flushStream()
                throw TaskFailure("build of service \(service.name) failed: \(failure)")
            }
            if let text = message.stream { await context.logStream(text) }
        }
        await context.flushStream()
    }

    /// Polls the service's containers until healthy (or exited 0), failing early on unhealthy or a bad exit.
    private func wait(for service: String, healthy: Bool) async throws {
        let deadline = Date().addingTimeInterval(TimeInterval(waitTimeout))
        let label = ["label": ["\(ComposeLabel.project)=\(project.name)", "\(ComposeLabel.service)=\(service)"]]
        let goal = healthy ? "become healthy" : "complete"
        while true {
            try Task.checkCancellation()
            let containers = try await context.docker.containers(ListContainersOptions(all: true, filters: label))
                .filter { $0.labels?[ComposeLabel.oneoff] != "True" }
            guard !containers.isEmpty else { throw TaskFailure("service \(service) has no container to wait for") }
            var ready = true
            for summary in containers {
                let state = try await context.docker.container(summary.id).state
                if healthy {
                    guard let health = state.health else {
                        throw TaskFailure("service \(service) has no healthcheck, but a dependency waits for it to be healthy")
                    }
                    if !state.running && !state.restarting {
                        throw TaskFailure("service \(service) exited with code \(state.exitCode ?? -1) before it became healthy")
                    }
                    if health.status == "unhealthy" {
                        let output = health.log?.last?.output?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                        throw TaskFailure("service \(service) is unhealthy" + (output.isEmpty ? "" : ": \(output.prefix(300))"))
                    }
                    ready = ready && health.status == "healthy"
                } else if !state.running && !state.restarting && state.status != "created" {
                    if state.exitCode != 0 { throw TaskFailure("service \(service) exited with code \(state.exitCode ?? -1)") }
                } else {
                    ready = false
                }
            }
            if ready { return }
            guard Date() < deadline else { throw TaskFailure("service \(service) did not \(goal) within \(waitTimeout) s") }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
    }
}
