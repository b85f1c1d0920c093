import DockerEngine
import Foundation

/// A container as the list shows it.
public struct ContainerView: Encodable, Sendable {
    public let id: String
    public let name: String
    public let image: String
    public let state: String
    public let status: String
    public let ports: [PortView]
    public let created: Int64
    public let labels: [String: String]

    public struct PortView: Encodable, Sendable {
        public let ip: String?
        public let privatePort: Int
        public let publicPort: Int?
        public let type: String
    }

    init(_ summary: ContainerSummary) {
        id = summary.id
        name = summary.name
        image = summary.image
        state = summary.state
        status = summary.status
        ports = summary.ports.map { PortView(ip: $0.ip, privatePort: $0.privatePort, publicPort: $0.publicPort, type: $0.type) }
        created = summary.created
        labels = summary.labels ?? [:]
    }
}

/// Filters and paging of the container list.
public struct ContainerQuery: Sendable {
    public var query: String?
    public var state: String?
    /// False lists running containers only, as `docker ps` does.
    public var all: Bool
    public var page: Int
    public var pageSize: Int

    public init(query: String? = nil, state: String? = nil, all: Bool = true, page: Int = 1, pageSize: Int = 50) {
        self.query = query
        self.state = state
        self.all = all
        self.page = page
        self.pageSize = pageSize
    }

    public static let states: Set<String> = ["created", "restarting", "running", "removing", "paused", "exited", "dead"]
}

/// Page of results with the total count before paging.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public let items: [Item]
    public let total: Int
    public let page: Int
    public let pageSize: Int

    public init(items: [Item], total: Int, page: Int, pageSize: Int) {
        self.items = items
        self.total = total
        self.page = page
        self.pageSize = pageSize
    }
}

/// Container operations; the state filter is applied by the engine, the text search here.
public final class ContainerService: Sendable {
    private let docker: DockerClient

    public init(docker: DockerClient) { self.docker = docker }

    public func list(_ query: ContainerQuery) async throws -> Page<ContainerView> {
        var filters: [String: [String]] = [:]
        if let state = query.state { filters["status"] = [state] }
        let all = try await engine { try await docker.containers(ListContainersOptions(all: query.all, filters: filters)) }
        // Views first: each name is computed once, not at every comparison of the sort.
        var matching = all.map(ContainerView.init)
        if let needle = query.query?.lowercased(), !needle.isEmpty {
            matching = matching.filter {
                $0.name.lowercased().contains(needle) || $0.image.lowercased().contains(needle) || $0.id.hasPrefix(needle)
            }
        }
        matching.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let start = min((query.page - 1) * query.pageSize, matching.count)
        let slice = matching[start..<min(start + query.pageSize, matching.count)]
        return Page(items: Array(slice), total: matching.count, page: query.page, pageSize: query.pageSize)
    }

    public func details(_ id: String) async throws -> ContainerDetails {
        try await engine { try await docker.container(id) }
    }

    /// The actions of the list's buttons.
    public enum Action: String, Sendable, CaseIterable {
        case start, stop, restart, kill
    }

    /// Runs an action and returns the container's details afterwards (for the audit row's name).
    public func perform(_ action: Action, on id: String, timeout: Int? = nil, signal: String? = nil) async throws -> ContainerDetails {
        let target = try await details(id)
        try await engine {
            switch action {
            case .start: try await docker.startContainer(target.id)
            case .stop: try await docker.stopContainer(target.id, timeout: timeout)
            case .restart: try await docker.restartContainer(target.id, timeout: timeout)
            case .kill: try await docker.killContainer(target.id, signal: signal ?? "SIGKILL")
            }
        }
        return target
    }

    /// Runs an engine call, turning its errors into API errors.
    private func engine<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as EngineError {
            throw JarvisError.from(error)
        }
    }
}
