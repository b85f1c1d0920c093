import Foundation

/// What the engine has for a project: found by its labels, never by names.
public struct ObservedProject: Sendable {
    public struct Container: Sendable, Equatable {
        public var id: String
        public var name: String
        public var service: String
        public var number: Int
        public var configHash: String?
        /// The engine's state: running, exited, created, paused, restarting, dead.
        public var state: String
        public var imageID: String?
        /// Its mounts: what a recreate carries over (see `AnonymousVolumes`).
        public var mounts: [ObservedMount]

        public init(id: String, name: String, service: String, number: Int, configHash: String?, state: String, imageID: String?,
                    mounts: [ObservedMount] = []) {
            self.id = id
            self.name = name
            self.service = service
            self.number = number
            self.configHash = configHash
            self.state = state
            self.imageID = imageID
            self.mounts = mounts
        }
    }

    public var containers: [Container]
    /// Engine names of the networks and volumes that exist.
    public var networks: Set<String>
    public var volumes: Set<String>
    /// Image references present locally (`name:tag`) and their ids.
    public var images: [String: String]
    /// The `VOLUME` paths of local images, by reference (only the images the project runs).
    public var imageVolumes: [String: Set<String>]
    /// When each local image was last pulled or tagged (`Metadata.LastTagTime`), for `pull_policy: every_<duration>`.
    public var imageTaggedAt: [String: Date] = [:]

    public init(containers: [Container] = [], networks: Set<String> = [], volumes: Set<String> = [], images: [String: String] = [:],
                imageVolumes: [String: Set<String>] = [:]) {
        self.containers = containers
        self.networks = networks
        self.volumes = volumes
        self.images = images
        self.imageVolumes = imageVolumes
    }
}

public enum StackOperation: String, Sendable, CaseIterable, Codable {
    case up, down, stop, start, restart, pull
}

/// One engine call (or one wait) of a plan.
public enum PlanAction: Sendable, Equatable {
    case createNetwork(key: String, name: String)
    case createVolume(key: String, name: String)
    case pullImage(image: String)
    case buildImage(service: String, image: String)
    case createContainer(service: String, number: Int, name: String)
    case recreateContainer(service: String, number: Int, name: String, id: String)
    case startContainer(service: String, name: String)
    case stopContainer(service: String, name: String, id: String)
    case restartContainer(service: String, name: String, id: String)
    case removeContainer(service: String, name: String, id: String)
    case keepContainer(service: String, name: String)
    case waitHealthy(service: String)
    case waitCompleted(service: String)
    case removeNetwork(name: String)
    case removeVolume(name: String)

    /// Counts as work (everything but keep).
    public var changesSomething: Bool {
        if case .keepContainer = self { return false }
        return true
    }
}

public struct PlanStep: Sendable, Equatable {
    public var action: PlanAction
    public var reason: String?

    public init(_ action: PlanAction, _ reason: String? = nil) {
        self.action = action
        self.reason = reason
    }

    public var text: String {
        let words: String
        switch action {
        case let .createNetwork(_, name): words = "create network \(name)"
        case let .createVolume(_, name): words = "create volume \(name)"
        case let .pullImage(image): words = "pull image \(image)"
        case let .buildImage(_, image): words = "build image \(image)"
        case let .createContainer(_, _, name): words = "create \(name)"
        case let .recreateContainer(_, _, name, _): words = "recreate \(name)"
        case let .startContainer(_, name): words = "start \(name)"
        case let .stopContainer(_, name, _): words = "stop \(name)"
        case let .restartContainer(_, name, _): words = "restart \(name)"
        case let .removeContainer(_, name, _): words = "remove \(name)"
        case let .keepContainer(_, name): words = "keep \(name)"
        case let .waitHealthy(service): words = "wait until \(service) is healthy"
        case let .waitCompleted(service): words = "wait until \(service) completed successfully"
        case let .removeNetwork(name): words = "remove network \(name)"
        case let .removeVolume(name): words = "remove volume \(name)"
        }
        return reason.map { "\(words) (\($0))" } ?? words
    }
}

/// The steps of one service; it may begin once every service in `after` finished its own.
public struct ServicePlan: Sendable, Equatable {
    public var service: String
    public var after: [String]
    public var steps: [PlanStep]
}

public struct Plan: Sendable, Equatable {
    public var operation: StackOperation
    public var project: String
    /// Networks, volumes and images, before any container.
    public var prelude: [PlanStep] = []
    /// In dependency order (reverse for down and stop).
    public var services: [ServicePlan] = []
    /// Orphans, then networks and volumes to remove.
    public var cleanup: [PlanStep] = []
    /// `down` with volumes: containers go with their anonymous volumes (the engine's `v=1`), as in Compose v2.
    public var removesAnonymousVolumes = false
    /// `up` recreates with fresh anonymous volumes (`--renew-anon-volumes`) instead of carrying them over.
    public var renewsAnonymousVolumes = false

    public var isEmpty: Bool {
        !(prelude + services.flatMap(\.steps) + cleanup).contains { $0.action.changesSomething }
    }

    /// The stable text form: what the UI previews and golden tests compare.
    public var text: String {
        var lines = ["\(operation.rawValue) \(project)"]
        lines += prelude.map { "  " + $0.text }
        for service in services where !service.steps.isEmpty {
            let after = service.after.isEmpty ? "" : " (after \(service.after.joined(separator: ", ")))"
            lines.append("  service \(service.service)\(after)")
            lines += service.steps.map { "    " + $0.text }
        }
        lines += cleanup.map { "  " + $0.text }
        if isEmpty { lines.append("  nothing to do") }
        return lines.joined(separator: "\n") + "\n"
    }
}

public struct PlanError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Pure reconcile: a project and what the engine has, into the engine calls
/// that make them agree. Each step is one call; order follows `depends_on`.
public struct Planner: Sendable {
    public let project: ComposeProject
    public let observed: ObservedProject
    /// Set while planning: whether recreated containers get fresh anonymous volumes.
    private var renewAnonymousVolumes = false

    public init(project: ComposeProject, observed: ObservedProject) {
        self.project = project
        self.observed = observed
    }

    /// `services` limits the operation to those (and, for up and start, what they depend on).
    public func plan(_ operation: StackOperation, services selected: [String] = [], removeVolumes: Bool = false,
                     renewAnonymousVolumes: Bool = false) throws -> Plan {
        var planner = self
        planner.renewAnonymousVolumes = renewAnonymousVolumes
        return try planner.planned(operation, services: selected, removeVolumes: removeVolumes)
    }

    private func planned(_ operation: StackOperation, services selected: [String], removeVolumes: Bool) throws -> Plan {
        for name in selected where project.services[name] == nil {
            throw PlanError(message: "no service \"\(name)\" in the stack")
        }
        let order = try DependencyGraph(project).order()
        let chosen = selection(selected, order: order, withDependencies: operation == .up || operation == .start)
        var plan = Plan(operation: operation, project: project.name)
        plan.renewsAnonymousVolumes = operation == .up && renewAnonymousVolumes
        plan.removesAnonymousVolumes = operation == .down && removeVolumes
        switch operation {
        case .up:
            plan.prelude = try prelude(for: chosen)
            var renewed = Set<String>()
            plan.services = order.filter(chosen.contains).map { name in
                let steps = upSteps(name, renewed: renewed)
                let replaced = steps.steps.contains { step in
                    switch step.action {
                    case .createContainer(_, 1, _), .recreateContainer(_, 1, _, _): return true
                    default: return false
                    }
                }
                if replaced { renewed.insert(name) }
                return steps
            }
            if selected.isEmpty { plan.cleanup = orphans() }
        case .pull:
            plan.prelude = pullSteps(chosen)
        case .start:
            plan.services = order.filter(chosen.contains).map { name in
                let steps = containers(of: name).filter { $0.state != "running" }.map { PlanStep(.startContainer(service: name, name: $0.name)) }
                return ServicePlan(service: name, after: after(name, chosen: chosen), steps: waits(name, chosen: chosen, before: steps) + steps)
            }
        case .stop:
            plan.services = order.reversed().filter(chosen.contains).map { name in
                ServicePlan(service: name, after: [], steps: containers(of: name).filter { ["running", "paused", "restarting"].contains($0.state) }
                    .map { PlanStep(.stopContainer(service: name, name: $0.name, id: $0.id)) })
            }
        case .restart:
            plan.services = order.filter(chosen.contains).map { name in
                ServicePlan(service: name, after: after(name, chosen: chosen),
                            steps: containers(of: name).map { PlanStep(.restartContainer(service: name, name: $0.name, id: $0.id)) })
            }
        case .down:
            plan.services = order.reversed().filter(chosen.contains).map { name in
                ServicePlan(service: name, after: [], steps: removal(containers(of: name), service: name,
                                                                     removed: removeVolumes ? "with its anonymous volumes" : nil))
            }
            if selected.isEmpty {
                plan.cleanup = orphans()
                plan.cleanup += project.networks.values.filter { !$0.external && observed.networks.contains($0.name) }
                    .map(\.name).sorted().map { PlanStep(.removeNetwork(name: $0)) }
                if removeVolumes {
                    plan.cleanup += project.volumes.values.filter { !$0.external && observed.volumes.contains($0.name) }
                        .map(\.name).sorted().map { PlanStep(.removeVolume(name: $0)) }
                }
            }
        }
        return plan
    }

    // MARK: up

    private func prelude(for chosen: Set<String>) throws -> [PlanStep] {
        var steps: [PlanStep] = []
        let services = chosen.sorted().map { project.services[$0]! }
        var networkKeys = Set<String>()
        var volumeKeys = Set<String>()
        for service in services {
            if service.networkMode == nil { networkKeys.formUnion(service.networks.isEmpty ? ["default"] : Array(service.networks.keys)) }
            volumeKeys.formUnion(service.volumes.compactMap { $0.kind == .volume ? $0.source : nil })
        }
        for key in networkKeys.sorted() {
            guard let network = project.networks[key], !observed.networks.contains(network.name) else { continue }
            if network.external { throw PlanError(message: "external network \(network.name) does not exist: create it first") }
            steps.append(PlanStep(.createNetwork(key: key, name: network.name)))
        }
        for key in volumeKeys.sorted() {
            guard let volume = project.volumes[key], !observed.volumes.contains(volume.name) else { continue }
            if volume.external { throw PlanError(message: "external volume \(volume.name) does not exist: create it first") }
            steps.append(PlanStep(.createVolume(key: key, name: volume.name)))
        }
        var pulled = Set<String>()
        for service in services {
            let image = imageReference(service)
            let present = observed.images[image] != nil
            if service.build != nil && (!present || service.pullPolicy == "build") {
                steps.append(PlanStep(.buildImage(service: service.name, image: image), present ? "pull_policy build" : "missing"))
            } else if service.build == nil && !pulled.contains(image) {
                switch service.pullPolicy {
                case "always":
                    steps.append(PlanStep(.pullImage(image: image), "pull_policy always"))
                    pulled.insert(image)
                case "never":
                    if !present { throw PlanError(message: "image \(image) of service \(service.name) is not present and its pull_policy is never") }
                case let policy? where PullPolicy.refreshInterval(policy) != nil:
                    let interval = PullPolicy.refreshInterval(policy)!
                    // An image whose pull time the engine does not know is treated as due, as compose-go does with no timestamp.
                    let due = !present || observed.imageTaggedAt[image].map { Date().timeIntervalSince($0) >= interval } ?? true
                    if due {
                        steps.append(PlanStep(.pullImage(image: image), present ? "pull_policy \(policy)" : "missing"))
                        pulled.insert(image)
                    }
                default:
                    if !present {
                        steps.append(PlanStep(.pullImage(image: image), "missing"))
                        pulled.insert(image)
                    }
                }
            }
        }
        return steps
    }

    /// `renewed`: services planned before this one whose first container is new, so a service that
    /// joins their namespaces or borrows their volumes must be recreated to follow.
    private func upSteps(_ name: String, renewed: Set<String>) -> ServicePlan {
        let service = project.services[name]!
        let resolved = ServiceReferences.resolved(service, in: project) { other in containers(of: other).first { $0.number == 1 }?.id }
        let hash = ConfigHash.of(resolved)
        let followed = ServiceReferences.services(of: service, in: project).filter(renewed.contains)
        let imageID = observed.images[imageReference(service)]
        let existing = containers(of: name)
        var steps: [PlanStep] = []
        for number in 1...max(service.replicas, 1) where service.replicas > 0 {
            let containerName = Self.containerName(project: project.name, service: service, number: number)
            guard let current = existing.first(where: { $0.number == number }) else {
                steps.append(PlanStep(.createContainer(service: name, number: number, name: containerName)))
                steps.append(PlanStep(.startContainer(service: name, name: containerName)))
                continue
            }
            if current.configHash != hash {
                steps.append(PlanStep(.recreateContainer(service: name, number: number, name: containerName, id: current.id),
                                      recreateReason("configuration changed", service, current)))
            } else if !followed.isEmpty {
                let what = followed.count == 1 ? "service \(followed[0]) is" : "services \(followed.joined(separator: ", ")) are"
                steps.append(PlanStep(.recreateContainer(service: name, number: number, name: containerName, id: current.id),
                                      recreateReason("\(what) recreated", service, current)))
            } else if let imageID, let used = current.imageID, used != imageID {
                steps.append(PlanStep(.recreateContainer(service: name, number: number, name: containerName, id: current.id),
                                      recreateReason("image changed", service, current)))
            } else if current.state != "running" {
                steps.append(PlanStep(.startContainer(service: name, name: current.name), current.state))
            } else {
                steps.append(PlanStep(.keepContainer(service: name, name: current.name), "up to date"))
            }
        }
        steps += removal(existing.filter { $0.number > service.replicas }, service: name, reason: "over the replica count")
        let chosen = Set(project.services.keys)
        return ServicePlan(service: name, after: after(name, chosen: chosen), steps: waits(name, chosen: chosen, before: steps) + steps)
    }

    private func pullSteps(_ chosen: Set<String>) -> [PlanStep] {
        var seen = Set<String>()
        return chosen.sorted().compactMap { name in
            let service = project.services[name]!
            guard service.image != nil, service.build == nil || service.pullPolicy != "build" else { return nil }
            let image = imageReference(service)
            guard seen.insert(image).inserted, service.pullPolicy != "never" else { return nil }
            return PlanStep(.pullImage(image: image))
        }
    }

    private func orphans() -> [PlanStep] {
        let known = Set(project.services.keys).union(project.disabledServices)
        let strays = observed.containers.filter { !known.contains($0.service) }.sorted { ($0.service, $0.number) < ($1.service, $1.number) }
        return strays.flatMap { removal([$0], service: $0.service, reason: "service \($0.service) is no longer in the file") }
    }

    /// Why, and which volumes the new container takes over (or that it starts with fresh ones).
    private func recreateReason(_ why: String, _ service: ComposeService, _ current: ObservedProject.Container) -> String {
        let imageVolumes = observed.imageVolumes[imageReference(service)] ?? []
        let carried = AnonymousVolumes.inherited(by: service, from: current.mounts, imageVolumes: imageVolumes).map(\.destination)
        guard !carried.isEmpty else { return why }
        let paths = carried.joined(separator: ", ")
        if renewAnonymousVolumes { return "\(why); new anonymous volumes at \(paths)" }
        return "\(why); keeps the volume\(carried.count == 1 ? "" : "s") at \(paths)"
    }

    // MARK: helpers

    private func removal(_ containers: [ObservedProject.Container], service: String, reason: String? = nil,
                         removed: String? = nil) -> [PlanStep] {
        containers.flatMap { container -> [PlanStep] in
            let running = ["running", "paused", "restarting"].contains(container.state)
            let removeReason = [running ? nil : reason, removed].compactMap { $0 }.joined(separator: "; ")
            return (running ? [PlanStep(.stopContainer(service: service, name: container.name, id: container.id), reason)] : [])
                + [PlanStep(.removeContainer(service: service, name: container.name, id: container.id), removeReason.isEmpty ? nil : removeReason)]
        }
    }

    /// Waits for `healthy` and `completed` dependencies, when the service has something to start.
    private func waits(_ name: String, chosen: Set<String>, before steps: [PlanStep]) -> [PlanStep] {
        guard steps.contains(where: { $0.action.changesSomething }) else { return [] }
        return project.services[name]!.dependsOn.keys.sorted().filter(chosen.contains).compactMap { dependency in
            switch project.services[name]!.dependsOn[dependency]!.condition {
            case .healthy: return PlanStep(.waitHealthy(service: dependency))
            case .completedSuccessfully: return PlanStep(.waitCompleted(service: dependency))
            case .started: return nil
            }
        }
    }

    private func after(_ name: String, chosen: Set<String>) -> [String] {
        project.services[name]!.dependsOn.keys.filter(chosen.contains).sorted()
    }

    private func containers(of service: String) -> [ObservedProject.Container] {
        observed.containers.filter { $0.service == service }.sorted { $0.number < $1.number }
    }

    private func selection(_ selected: [String], order: [String], withDependencies: Bool) -> Set<String> {
        guard !selected.isEmpty else { return Set(order) }
        var chosen = Set(selected)
        guard withDependencies else { return chosen }
        var queue = selected
        while let next = queue.popLast() {
            for dependency in project.services[next]!.dependsOn.keys where project.services[dependency] != nil {
                if chosen.insert(dependency).inserted { queue.append(dependency) }
            }
        }
        return chosen
    }

    /// The image a service runs: its `image`, or `<project>-<service>` when it is built without one.
    public func imageReference(_ service: ComposeService) -> String {
        Self.withTag(service.image ?? "\(project.name)-\(service.name)")
    }

    /// `name` → `name:latest`; a tag or digest is kept (a registry port is not a tag).
    public static func withTag(_ reference: String) -> String {
        if reference.contains("@") { return reference }
        let lastSegment = reference.split(separator: "/").last ?? Substring(reference)
        return lastSegment.contains(":") ? reference : reference + ":latest"
    }

    /// `<project>-<service>-<n>` as Compose v2 names them, or the service's `container_name`.
    public static func containerName(project: String, service: ComposeService, number: Int) -> String {
        service.containerName ?? "\(project)-\(service.name)-\(number)"
    }
}
