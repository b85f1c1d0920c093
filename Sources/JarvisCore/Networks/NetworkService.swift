import DockerEngine
import Foundation

/// A network as the pages show it: its pools by family and the containers on it.
public struct NetworkView: Encodable, Sendable {
    public let id: String
    public let name: String
    public let driver: String
    public let scope: String
    public let created: String?
    public let `internal`: Bool
    public let attachable: Bool
    public let ingress: Bool
    public let enableIpv6: Bool
    public let ipv4: [PoolView]
    public let ipv6: [PoolView]
    public let labels: [String: String]
    public let options: [String: String]
    /// The Compose project the network belongs to (`com.docker.compose.project`).
    public let stack: String?
    /// `bridge`, `host`, `none` and the swarm's ingress: the engine's own, never removed.
    public let predefined: Bool
    public var containers: [AttachedContainer]
    /// The host's name, in lists that span hosts.
    public var host: String?

    public struct PoolView: Encodable, Sendable {
        public let subnet: String
        public let gateway: String?
        public let ipRange: String?
        public let auxAddresses: [String: String]
    }

    public struct AttachedContainer: Encodable, Sendable {
        public let id: String
        public let name: String
        public let state: String
        public let ipv4Address: String?
        public let ipv6Address: String?
        public var aliases: [String]
    }

    /// The network's configured subnets.
    public var subnets: [CIDR] { (ipv4 + ipv6).compactMap { CIDR($0.subnet) } }
}

/// Filters, sort and paging of the network list.
public struct NetworkQuery: Sendable {
    public enum Sort: String, CaseIterable, Sendable { case name, driver, scope, created, containers }
    public var text: String?
    public var driver: String?
    public var scope: String?
    public var stack: String?
    /// true: only networks no container is attached to; false: only used ones; nil: both.
    public var dangling: Bool?
    public var sort: Sort
    public var descending: Bool
    public var page: Int
    public var pageSize: Int

    public init(text: String? = nil, driver: String? = nil, scope: String? = nil, stack: String? = nil, dangling: Bool? = nil,
                sort: Sort = .name, descending: Bool = false, page: Int = 1, pageSize: Int = 50) {
        self.text = text
        self.driver = driver
        self.scope = scope
        self.stack = stack
        self.dangling = dangling
        self.sort = sort
        self.descending = descending
        self.page = page
        self.pageSize = pageSize
    }

    func matches(_ view: NetworkView) -> Bool {
        if let driver, !driver.isEmpty, view.driver != driver { return false }
        if let scope, !scope.isEmpty, view.scope != scope { return false }
        if let stack, !stack.isEmpty, view.stack != stack { return false }
        if let dangling, view.containers.isEmpty != dangling { return false }
        if let needle = text?.lowercased(), !needle.isEmpty {
            let haystack = [view.name, view.id, view.driver, view.stack ?? ""] + (view.ipv4 + view.ipv6).map(\.subnet)
                + view.containers.map(\.name) + view.labels.map { "\($0.key)=\($0.value)" }
            return haystack.contains { $0.lowercased().contains(needle) }
        }
        return true
    }

    /// Sorted (ties by name, then host) and paged.
    func page(_ views: [NetworkView], source: String? = nil) -> Page<NetworkView> {
        let filtered = views.filter(matches)
        let sorted = filtered.sorted { a, b in
            let (x, y) = descending ? (b, a) : (a, b)
            switch sort {
            case .driver where x.driver != y.driver: return x.driver < y.driver
            case .scope where x.scope != y.scope: return x.scope < y.scope
            case .created where x.created != y.created: return (x.created ?? "") < (y.created ?? "")
            case .containers where x.containers.count != y.containers.count: return x.containers.count < y.containers.count
            default: return (a.name, a.host ?? "") < (b.name, b.host ?? "")
            }
        }
        let start = min((page - 1) * pageSize, sorted.count)
        return Page(items: Array(sorted[start..<min(start + pageSize, sorted.count)]), total: sorted.count, page: page,
                    pageSize: pageSize, source: source)
    }
}

/// What a prune would remove, for the confirmation.
public struct NetworkPrunePlan: Sendable {
    public let networks: [NetworkView]
    /// Networks that go although stopped containers still name them (the engine prunes by running endpoints).
    public let referencedByStopped: [String]
}

/// Networks of one host: list with attachments, create (validated first), connect, disconnect, remove, prune.
public final class NetworkService: Sendable {
    let docker: DockerClient

    public init(docker: DockerClient) { self.docker = docker }

    /// Every network of the host with its containers.
    public func all() async throws -> [NetworkView] {
        let (networks, attachments) = try await withEngineErrors {
            async let networks = docker.networkList()
            async let attachments = docker.networkAttachments()
            return (try await networks, try await attachments)
        }
        return networks.map { Self.view($0, attachments: attachments) }
    }

    public func list(_ query: NetworkQuery) async throws -> Page<NetworkView> {
        query.page(try await all(), source: "engine")
    }

    /// One network by id, id prefix or name, with the aliases of its containers; 404 when the engine has none.
    public func find(_ idOrName: String) async throws -> NetworkView {
        let network = try await withEngineErrors { try await docker.inspectNetwork(idOrName) }
        let attachments = try await withEngineErrors { try await docker.networkAttachments() }
        var view = Self.view(network, attachments: attachments)
        // The container list leaves aliases out; each container's inspect has them.
        for (index, container) in view.containers.enumerated() {
            guard let inspected = try? await docker.inspectJSON(.container, container.id),
                  let networks = (inspected["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: Any],
                  let endpoint = networks[view.name] as? [String: Any] else { continue }
            let aliases = (endpoint["Aliases"] as? [String] ?? []).filter { !container.id.hasPrefix($0) }
            view.containers[index].aliases = aliases
        }
        return view
    }

    /// Validates the whole request against the host's networks, then creates; nothing is created on a refusal.
    public func create(_ request: NetworkCreateRequest) async throws -> NetworkView {
        let existing = try await all()
        if let same = existing.first(where: { $0.name == request.name }) {
            throw JarvisError(409, "network_exists", "name: a network named \(request.name) exists (\(same.id.prefix(12)))").field("name")
        }
        let subnets = existing.flatMap { network in network.subnets.map { ExistingSubnet(network: network.name, subnet: $0) } }
        let body = try NetworkSpec.createBody(request, existing: subnets)
        if body["Driver"] as? String == "overlay", !(try await withEngineErrors { try await docker.isSwarmManager() }) {
            throw JarvisError(409, "swarm_required", "driver: overlay networks need an engine that is a Swarm manager; this one is not").field("driver")
        }
        let id: String
        do {
            id = try await docker.createNetwork(body: body)
        } catch let error as EngineError where error.code == .notFound {
            // "could not find an available, non-overlapping IPv6 address pool…": the request, not a missing resource.
            let field = body["EnableIPv6"] as? Bool == true && !(request.ipam?.config ?? []).contains { ($0.subnet ?? "").contains(":") }
                ? "enable_ipv6" : "ipam"
            throw JarvisError(400, "invalid_network", "\(field): \(error.message)").field(field)
        } catch let error as EngineError where error.status == 500 && error.message.contains("not supported") {
            // A kernel without the driver's module (macvlan, ipvlan): the host cannot make this kind, say so on the field.
            let driver = body["Driver"] as? String ?? "bridge"
            throw JarvisError(400, "driver_unsupported", "driver: this engine's host cannot create \(driver) networks (\(error.message))").field("driver")
        } catch let error as EngineError {
            throw JarvisError.from(error)
        }
        return try await find(id)
    }

    public func connect(_ network: NetworkView, _ request: NetworkConnectRequest) async throws {
        let endpoint = try NetworkSpec.endpoint(request, subnets: network.subnets)
        // Short strings are names: only a 12-character (or longer) id prefix names a container by id.
        let named = request.container
        if network.containers.contains(where: { $0.id == named || $0.name == named || (named.count >= 12 && $0.id.hasPrefix(named)) }) {
            throw JarvisError(409, "already_connected", "container: \(request.container) is already on network \(network.name)").field("container")
        }
        try await withEngineErrors { try await docker.connectNetwork(network.id, container: request.container, endpoint: endpoint) }
    }

    public func disconnect(_ network: NetworkView, _ request: NetworkDisconnectRequest) async throws {
        guard !request.container.isEmpty else { throw JarvisError.invalidField("container", "name the container to disconnect") }
        try await withEngineErrors { try await docker.disconnectNetwork(network.id, container: request.container, force: request.force ?? false) }
    }

    /// Refuses the engine's own networks and networks with containers (running or stopped: a stopped
    /// container would fail to start without it), naming them.
    public func remove(_ network: NetworkView) async throws {
        if network.predefined {
            throw JarvisError(403, "predefined_network", "\(network.name) is a predefined network of the engine and cannot be removed")
        }
        if !network.containers.isEmpty {
            let names = network.containers.map { "\($0.name) (\($0.state))" }.joined(separator: ", ")
            throw JarvisError(409, "network_in_use", "network \(network.name) has \(network.containers.count) container(s) attached: \(names); disconnect them first")
        }
        do {
            try await docker.removeNetwork(network.id)
        } catch let error as EngineError where error.status == 403 {
            throw JarvisError(403, "predefined_network", error.message)
        } catch let error as EngineError where error.code == .conflict {
            throw JarvisError(409, "network_in_use", error.message)
        } catch let error as EngineError {
            throw JarvisError.from(error)
        }
    }

    /// What `POST /networks/prune` will remove: networks that are not predefined and have no running endpoint.
    public func prunePlan() async throws -> NetworkPrunePlan {
        let views = try await all().filter { !$0.predefined && $0.scope == "local" }
        var unused: [NetworkView] = []
        for view in views where !view.containers.contains(where: { Self.holdsEndpoint($0.state) }) {
            // The container list can lag the endpoints; the network's own inspect is the engine's measure.
            guard let inspected = try? await docker.inspectNetwork(view.id), (inspected.containers ?? [:]).isEmpty else { continue }
            unused.append(view)
        }
        return NetworkPrunePlan(networks: unused, referencedByStopped: unused.filter { !$0.containers.isEmpty }.map(\.name))
    }

    /// Runs the engine's prune; returns the names it removed.
    public func prune() async throws -> [String] {
        try await withEngineErrors { try await docker.pruneNetworks() }
    }

    static func holdsEndpoint(_ state: String) -> Bool { ["running", "paused", "restarting", "removing"].contains(state) }

    static func view(_ network: NetworkInspect, attachments: [NetworkAttachment]) -> NetworkView {
        let pools = (network.ipam?.config ?? []).compactMap { pool -> (IPAddress.Family, NetworkView.PoolView)? in
            guard let subnet = pool.subnet, let cidr = CIDR(subnet) else { return nil }
            return (cidr.family, NetworkView.PoolView(subnet: subnet, gateway: pool.gateway.flatMap { $0.isEmpty ? nil : $0 },
                                                      ipRange: pool.ipRange.flatMap { $0.isEmpty ? nil : $0 },
                                                      auxAddresses: pool.auxiliaryAddresses ?? [:]))
        }
        var containers = attachments.filter { $0.networkID == network.id || ($0.networkID.isEmpty && $0.networkName == network.name) }
            .map { NetworkView.AttachedContainer(id: $0.containerID, name: $0.containerName, state: $0.state, ipv4Address: $0.ipv4Address,
                                                 ipv6Address: $0.ipv6Address, aliases: $0.aliases) }
        // Running endpoints the container list did not show yet (or containers of another swarm node).
        for (id, endpoint) in network.containers ?? [:] where !containers.contains(where: { $0.id == id }) {
            containers.append(.init(id: id, name: endpoint.name ?? id, state: "running",
                                    ipv4Address: endpoint.ipv4Address.flatMap { Self.address($0) },
                                    ipv6Address: endpoint.ipv6Address.flatMap { Self.address($0) }, aliases: []))
        }
        let name = network.name, driver = network.driver ?? ""
        return NetworkView(
            id: network.id, name: name, driver: driver, scope: network.scope ?? "local", created: network.created,
            internal: network.internal ?? false, attachable: network.attachable ?? false, ingress: network.ingress ?? false,
            enableIpv6: network.enableIPv6 ?? false, ipv4: pools.filter { $0.0 == .v4 }.map(\.1), ipv6: pools.filter { $0.0 == .v6 }.map(\.1),
            labels: network.labels ?? [:], options: network.options ?? [:], stack: network.labels?["com.docker.compose.project"],
            predefined: NetworkSpec.predefined.contains(name) || (network.ingress ?? false),
            containers: containers.sorted { $0.name < $1.name })
    }

    /// `172.18.0.2/16` → `172.18.0.2`.
    static func address(_ text: String) -> String? {
        let plain = String(text.split(separator: "/").first ?? "")
        return plain.isEmpty ? nil : plain
    }
}

extension HostService {
    /// Networks of every host, each with its host, filtered, sorted and paged like one host's list.
    public func networks(_ query: NetworkQuery) async throws -> Page<NetworkView> {
        let (items, skipped) = try await fromEveryHost { host in
            try await NetworkService(docker: host.docker).all().map { network in
                var view = network
                view.host = host.name
                return view
            }
        }
        var page = query.page(items, source: "engines")
        page.skippedHosts = skipped
        return page
    }
}
