import Foundation
import JarvisCore
import Logging
import Metrics

/// The short-request API: routes plus the middleware every request passes
/// (request id, auth and roles, CSRF, audit, error rendering).
public final class JarvisAPI: Sendable {
    public let environment: JarvisEnvironment
    public let router: Router
    let authenticator: Authenticator
    private let logger: Logger

    public init(environment: JarvisEnvironment, logger: Logger = Logger(label: "jarvis.api")) {
        self.environment = environment
        authenticator = Authenticator(auth: environment.auth)
        self.logger = logger
        var router = Router()
        for route in HealthRoutes.routes(environment) + AuthRoutes.routes(environment) + ContainerRoutes.routes(environment)
            + ImageRoutes.routes(environment) + AuditRoutes.routes(environment) + UserRoutes.routes(environment)
            + SessionRoutes.routes(environment) + TaskRoutes.routes(environment) + RegistryRoutes.routes(environment) + StackRoutes.routes(environment)
            + MetricsRoutes.routes(environment) + HostRoutes.routes(environment) + PreferenceRoutes.routes(environment)
            + VolumeRoutes.routes(environment) + DiskUsageRoutes.routes(environment)
            + HistoryRoutes.routes(environment)
            + NotificationRoutes.routes(environment) + JobRoutes.routes(environment)
            + NetworkRoutes.routes(environment) + UpdateRoutes.routes(environment)
            + TemplateRoutes.routes(environment) {
            router.add(route)
            if route.hostScoped && !route.pattern.hasPrefix("/api/v1/hosts/") { router.add(route.scoped()) }
        }
        self.router = router
    }

    /// Answers one request; never throws, every failure becomes an error response.
    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let started = DispatchTime.now()
        var response: HTTPResponse
        var routeLabel = "unmatched"
        switch router.match(method: request.method, path: request.path) {
        case .notFound:
            response = .error(.notFound("no endpoint \(request.method) \(request.path)"), requestID: request.requestID)
        case let .wrongMethod(allowed):
            response = .error(JarvisError(405, "method_not_allowed", "\(request.method) is not allowed here"), requestID: request.requestID)
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
        case let .found(route, parameters):
            routeLabel = route.pattern
            response = await run(route, RequestContext(request: request, parameters: parameters))
        }
        response.headers.append(("X-Request-Id", request.requestID))
        response.headers.append(("Cache-Control", "no-store"))
        let nanos = DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds
        let micros = nanos / 1000
        let methodLabel = Self.methodLabel(request.method)
        Counter(label: "jarvis_http_requests_total", dimensions: [("route", routeLabel), ("method", methodLabel), ("status", "\(response.status)")])
            .increment()
        Timer(label: "jarvis_http_request_duration_seconds", dimensions: [("route", routeLabel), ("method", methodLabel)])
            .recordNanoseconds(Int64(nanos))
        logger.info("request", metadata: ["method": "\(request.method)", "path": "\(request.path)",
                                          "status": "\(response.status)", "us": "\(micros)", "request_id": "\(request.requestID)"])
        return response
    }

    /// For a file upload: nil when the body should go to disk as it arrives, or
    /// the refusal to send without reading it (unknown route, no session, wrong role).
    public func uploadKind(_ request: HTTPRequest) -> UploadKind? {
        guard case let .found(route, _) = router.match(method: request.method, path: request.path), let kind = route.upload,
              !(request.header("content-type") ?? "").lowercased().hasPrefix("application/json") else { return nil }
        return kind
    }

    /// The caller of a request judged from its params alone (the same check as every handler's),
    /// or the answer to send instead.
    func check(_ request: HTTPRequest) async -> (principal: Principal?, refusal: HTTPResponse?) {
        guard case let .found(route, parameters) = router.match(method: request.method, path: request.path) else { return (nil, nil) }
        let context = RequestContext(request: request, parameters: parameters)
        do {
            try await authorize(route, context)
            return (context.principal, nil)
        } catch {
            var response = HTTPResponse.error(JarvisError.wrap(error), requestID: request.requestID)
            response.headers.append(("X-Request-Id", request.requestID))
            return (nil, response)
        }
    }

    private func run(_ route: Route, _ context: RequestContext) async -> HTTPResponse {
        var failure: JarvisError?
        var response: HTTPResponse
        do {
            try await authorize(route, context)
            if !route.readsBody && context.request.isStateChanging { try context.refuseBodyFields() }
            if route.hostScoped { try resolveHost(route, context) }
            // Engine requests the handler makes are judged as this caller (HostAccessPolicy).
            response = try await HostAccess.acting(as: context.principal.map(EngineActor.init)) { try await route.handler(context) }
        } catch {
            let wrapped = JarvisError.wrap(error)
            if wrapped.status == 500 {
                logger.error("unhandled error", metadata: ["error": "\(error)", "request_id": "\(context.request.requestID)"])
            }
            failure = wrapped
            response = .error(wrapped, requestID: context.request.requestID)
        }
        // Requests refused before identifying the caller are not actions of anyone: no audit row.
        if let action = route.auditAction, context.principal != nil || route.access == .open {
            var event = context.audit ?? AuditEvent(action: action)
            event.action = action
            if let host = context.resolvedHost?.name ?? context.parameters["host"], route.hostScoped { event.params["host"] = host }
            environment.audit.record(event, by: context.principal, username: context.attemptedUsername,
                                     facts: context.facts, error: failure)
        }
        return response
    }

    /// The host a scoped route acts on: named in the path, or the default one. Archived hosts take
    /// no requests; an offline host answers only what the mirror last saw.
    private func resolveHost(_ route: Route, _ context: RequestContext) throws {
        let host = try environment.hosts.services(named: context.parameters["host"])
        if host.record.isArchived {
            throw JarvisError(409, "host_archived", "host \(host.name) is archived; unarchive it to use it")
        }
        if !route.offlineReadable { try host.requireOnline() }
        context.resolvedHost = host
    }

    private func authorize(_ route: Route, _ context: RequestContext) async throws {
        let needed: Role
        switch route.access {
        case .open: return
        case let .role(role): needed = role
        case let .localOrRole(role):
            if Observability.isLocal(context.request.remoteAddress) { return }
            needed = role
        }
        let request = context.request
        guard let principal = try await authenticator.principal(authorization: request.header("authorization"),
                                                                cookieHeader: request.header("cookie")) else {
            throw JarvisError.unauthorized()
        }
        guard principal.role >= needed else {
            let refusal = JarvisError.forbidden("this action needs the \(needed.rawValue) role")
            recordRefusal(route, context, principal: principal, needed: needed, error: refusal)
            throw refusal
        }
        context.principal = principal
        try Authenticator.checkCSRF(principal, request: request)
    }

    /// Methods a client may invent: only the standard ones get their own metric series.
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// The `method` label of the request metrics; anything made up is `other`, so
    /// nobody can add series to `/metrics` by sending `BREW`.
    static func methodLabel(_ method: String) -> String { knownMethods.contains(method) ? method : "other" }

    /// An authenticated caller refused for their role leaves a row naming them
    /// and what they tried (route and its audit action), even on read routes.
    private func recordRefusal(_ route: Route, _ context: RequestContext, principal: Principal, needed: Role, error: JarvisError) {
        let attempted = route.auditAction ?? "\(route.method) \(route.pattern)"
        let event = AuditEvent(action: "auth.forbidden", resourceType: "route", resourceID: "\(route.method) \(route.pattern)",
                               resourceName: attempted,
                               params: ["action": attempted, "path": context.request.path, "needs": needed.rawValue])
        environment.audit.record(event, by: principal, facts: context.facts, error: error)
    }
}
