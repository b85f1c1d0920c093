import DockerEngine
import Foundation
import JarvisStore

/// Who an engine request is sent for. The API sets it around every handler,
/// the task runner around every task; the host-access policy judges with it.
public struct EngineActor: Sendable, Equatable {
    /// nil only for Jarvis's own work on nobody's behalf (tests of the policy).
    public let userID: Int64?
    public let username: String
    /// The role when the actor was set; the policy re-reads the current one from the store.
    public let role: Role
    /// The one folder binds may come from (a stack's own folder); nil for the container form.
    public let bindRoot: String?
    /// Folders Jarvis wrote for this actor's stack (configs and secrets from variables): read-only binds.
    public let readOnlyRoots: [String]

    public init(userID: Int64?, username: String, role: Role, bindRoot: String? = nil, readOnlyRoots: [String] = []) {
        self.userID = userID
        self.username = username
        self.role = role
        self.bindRoot = bindRoot
        self.readOnlyRoots = readOnlyRoots
    }

    public init(_ principal: Principal) {
        self.init(userID: principal.userID, username: principal.username, role: principal.role)
    }

    /// The same actor acting on a stack: binds may come from its folder.
    public func inStack(folder: String, generated: String) -> EngineActor {
        EngineActor(userID: userID, username: username, role: role, bindRoot: folder, readOnlyRoots: [generated])
    }
}

public enum HostAccess {
    /// The actor of the current request or task; engine requests that reach the host are refused without one.
    @TaskLocal public static var actor: EngineActor?

    /// Runs `body` acting as `actor`.
    public static func acting<T>(as actor: EngineActor?, _ body: () async throws -> T) async rethrows -> T {
        try await $actor.withValue(actor, operation: body)
    }
}

/// The host-access policy at the engine client's door: every container,
/// exec, volume, network, update and build request is judged here with the
/// acting user's current role, whatever sent it (form, stack, retry, …).
/// Admins may send anything; operators only what the allow-list in
/// `HostAccessRules` permits; viewers and requests without an actor nothing.
public final class HostAccessPolicy: EngineAdmission {
    private let database: AppDatabase

    public init(database: AppDatabase) {
        self.database = database
    }

    public func admit(_ request: EngineRequest, client: DockerClient) async throws {
        guard let judged = JudgedRequest(request) else { return }
        guard let actor = HostAccess.actor else {
            throw Self.refusal("\(request.method) \(request.path) is sent on nobody's behalf")
        }
        let role = try currentRole(of: actor)
        if role == .admin { return }
        guard role == .operator_ else { throw Self.refusal("a \(role.rawValue) cannot \(judged.verb)") }
        let rules = HostAccessRules(actor: actor, references: EngineReferences(client: client))
        let findings = try await rules.judge(judged)
        guard findings.isEmpty else {
            throw Self.refusal("only an admin may \(judged.verb) with " + findings.joined(separator: "; "))
        }
    }

    /// The role in the store now: a demoted or disabled user loses the power at once, even mid-task.
    private func currentRole(of actor: EngineActor) throws -> Role {
        guard let id = actor.userID else { return actor.role }
        guard let user = try database.user(id: id) else { throw Self.refusal("user \(actor.username) no longer exists") }
        guard !user.disabled else { throw Self.refusal("user \(actor.username) is disabled") }
        return Role(rawValue: user.role) ?? .viewer
    }

    static func refusal(_ message: String) -> EngineError {
        EngineError(.refused, status: 403, message: "host access refused: " + message)
    }
}

/// An engine request the policy judges; nil for requests that cannot hand a container the host.
enum JudgedRequest {
    case container([String: Any])
    case update([String: Any])
    case exec([String: Any])
    case volume([String: Any])
    case network([String: Any])
    /// `POST /networks/{id}/connect`: the network's driver decides (macvlan/ipvlan reach the host's LAN).
    case connect(String)
    case build([(String, String)])
    /// Swarm, plugins and BuildKit sessions: the whole area is the admin's.
    case adminOnly(String)

    init?(_ request: EngineRequest) {
        let parts = request.path.split(separator: "/").map(String.init)
        guard request.method != "GET", request.method != "HEAD", let area = parts.first else { return nil }
        let body = { (try? JSONSerialization.jsonObject(with: Data(request.body ?? Array("{}".utf8)))) as? [String: Any] ?? ["": "unreadable body"] }
        switch (request.method, area, parts.count, parts.last ?? "") {
        case ("POST", "containers", 2, "create"): self = .container(body())
        case ("POST", "containers", 3, "update"): self = .update(body())
        case ("POST", "containers", 3, "exec"): self = .exec(body())
        case ("POST", "volumes", 2, "create"): self = .volume(body())
        case ("POST", "networks", 2, "create"): self = .network(body())
        case ("POST", "networks", 3, "connect"): self = .connect(parts[1])
        case ("POST", "build", 1, _): self = .build(request.query)
        case (_, "plugins", _, _), (_, "swarm", _, _), (_, "services", _, _), (_, "secrets", _, _), (_, "configs", _, _),
             (_, "nodes", _, _), (_, "session", _, _), (_, "grpc", _, _):
            self = .adminOnly(request.path)
        default: return nil
        }
    }

    var verb: String {
        switch self {
        case .container: return "create this container"
        case .update: return "update this container"
        case .exec: return "run this exec"
        case .volume: return "create this volume"
        case .network: return "create this network"
        case .connect: return "connect a container to this network"
        case .build: return "run this build"
        case let .adminOnly(path): return "use \(path)"
        }
    }
}

/// What the rules look up on the engine: containers and volumes a request refers to.
protocol HostReferences: Sendable {
    func container(_ id: String) async throws -> [String: Any]?
    func volume(_ name: String) async throws -> [String: Any]?
    func network(_ name: String) async throws -> [String: Any]?
}

/// A reference that is not a valid name cannot name anything: the engine will refuse the request itself.
struct EngineReferences: HostReferences {
    let client: DockerClient
    func container(_ id: String) async throws -> [String: Any]? { try await inspect(.container, id) }
    func volume(_ name: String) async throws -> [String: Any]? { try await inspect(.volume, name) }
    func network(_ name: String) async throws -> [String: Any]? { try await inspect(.network, name) }

    private func inspect(_ kind: DockerClient.InspectKind, _ name: String) async throws -> [String: Any]? {
        do {
            return try await client.inspectJSON(kind, name)
        } catch let error as EngineError where error.code == .invalidArgument {
            return nil
        }
    }
}
