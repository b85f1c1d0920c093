import JarvisCore

/// What the FastCGI server learns about a request from its params alone,
/// before it reads a byte of the body or gives it a worker for long.
public struct Preflight: Sendable {
    /// The matched route; nil for unknown paths and methods (the API answers those).
    public let route: Route?
    /// The answer to send instead (no session, wrong role, CSRF), as every handler would refuse.
    public let refusal: HTTPResponse?
    /// Who the long lane counts the request against: `user:<id>`, or the address of an anonymous caller.
    public let caller: String
}

extension JarvisAPI {
    /// Checks the caller of a request from its params (the same check as every
    /// handler) and names them for per-caller limits.
    public func preflight(_ request: HTTPRequest) async -> Preflight {
        let anonymous = "ip:" + (request.remoteAddress ?? "unknown")
        guard case let .found(route, _) = router.match(method: request.method, path: request.path) else {
            return Preflight(route: nil, refusal: nil, caller: anonymous)
        }
        let (principal, refusal) = await check(request)
        return Preflight(route: route, refusal: refusal, caller: principal.map { "user:\($0.userID)" } ?? anonymous)
    }
}
