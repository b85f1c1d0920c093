/// The one door of a client: decides, just before a request leaves, whether it
/// may reach the engine. `DockerEngine` knows nothing of users; the program
/// that owns the client installs the rule (Jarvis's host-access policy) and
/// refuses with `EngineError(.refused, …)`.
public protocol EngineAdmission: Sendable {
    /// Throws to keep `request` from being sent. `client` may be used for
    /// reads (inspecting a volume or a container the request refers to).
    func admit(_ request: EngineRequest, client: DockerClient) async throws
}
