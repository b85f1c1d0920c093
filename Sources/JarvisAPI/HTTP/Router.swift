import Foundation
import JarvisCore

/// Who may call a route.
public enum Access: Sendable, Equatable {
    /// No session needed (login, health).
    case open
    /// A session with at least this role.
    case role(Role)
    /// Open to a peer on this host (a scraper next to Jarvis); anyone else needs a session with this role.
    case localOrRole(Role)
}

/// Everything a handler gets: the request, path parameters and the caller.
public final class RequestContext: @unchecked Sendable {
    public let request: HTTPRequest
    public let parameters: [String: String]
    public internal(set) var principal: Principal?
    /// Filled by the handler so the audit row names what was touched.
    public var audit: AuditEvent?
    /// For login, where no principal exists yet: the name that was tried.
    public var attemptedUsername: String?
    /// The engine a host-scoped route acts on (`/api/v1/hosts/{host}/…`, or the default host).
    var resolvedHost: HostServices?

    /// The host of a host-scoped route; set before its handler runs.
    public var host: HostServices {
        guard let resolvedHost else { preconditionFailure("\(request.path) is not a host-scoped route") }
        return resolvedHost
    }

    init(request: HTTPRequest, parameters: [String: String]) {
        self.request = request
        self.parameters = parameters
    }

    public func parameter(_ name: String) -> String { parameters[name] ?? "" }

    public var facts: RequestFacts {
        RequestFacts(requestID: request.requestID, ip: request.remoteAddress, userAgent: request.header("user-agent"))
    }

    /// Decodes the JSON body strictly (`StrictJSON`): malformed or non-JSON bodies, and
    /// fields the route does not take, are a 400 naming the problem.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let contentType = request.header("content-type") ?? ""
        guard contentType.lowercased().hasPrefix("application/json") else {
            throw JarvisError(415, "unsupported_media_type", "send the body as application/json")
        }
        do {
            return try StrictJSON.decode(T.self, from: .init(request.body))
        } catch let error as DecodingError {
            throw JarvisError.badRequest(Self.describe(error), code: "malformed_json")
        } catch let error as JarvisError {
            throw error  // a field's own decoder named the problem
        } catch {
            throw JarvisError.badRequest("request body is not valid JSON", code: "malformed_json")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .keyNotFound(key, _): return "missing field \(key.stringValue.snakeCased)"
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            return "wrong type for field \(context.codingPath.map(\.stringValue.snakeCased).joined(separator: "."))"
        case .dataCorrupted: return "request body is not valid JSON"
        @unknown default: return "request body is not valid JSON"
        }
    }

    /// For routes that read no body: an empty body or `{}` is fine, any field is unknown.
    func refuseBodyFields() throws {
        guard !request.body.isEmpty, (request.header("content-type") ?? "").lowercased().hasPrefix("application/json"),
              let object = try? JSONSerialization.jsonObject(with: Data(request.body), options: [.fragmentsAllowed]) as? [String: Any],
              let first = object.keys.sorted().first else { return }
        throw JarvisError(400, "unknown_field", "\(first): unknown field; this request takes no body fields").field(first)
    }

    /// A boolean query parameter (`1`/`true`/`0`/`false`), or the default.
    public func boolQuery(_ name: String, default value: Bool) throws -> Bool {
        switch request.query[name]?.lowercased() {
        case nil, "": return value
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw JarvisError.badRequest("\(name) must be true or false", code: "invalid_parameter")
        }
    }

    /// An integer query parameter within a range, or the default.
    public func intQuery(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.query[name], !text.isEmpty else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw JarvisError.badRequest("\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)", code: "invalid_parameter")
        }
        return number
    }
}

extension String {
    var snakeCased: String {
        reduce(into: "") { result, character in
            if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
        }
    }
}

public typealias Handler = @Sendable (RequestContext) async throws -> HTTPResponse

/// One endpoint: method, path pattern with `{name}` segments, access rule, audited action.
public struct Route: Sendable {
    public let method: String
    public let pattern: String
    public let access: Access
    /// Action name for the audit row; nil for reads.
    public let auditAction: String?
    /// Set on endpoints whose body is a file: the FastCGI server spools it to disk first.
    public let upload: UploadKind?
    /// Requests that may hold a worker for long (uploads, downloads, engine calls
    /// with a grace period): the FastCGI server runs them in its bounded long lane
    /// (`WorkerLanes`), so they can never take the workers short requests need.
    /// Uploads are always long.
    public let long: Bool
    /// Answered while the host is offline (from what the mirror last saw); other host-scoped routes answer 503 at once.
    public let offlineReadable: Bool
    /// False for actions that read no body: a JSON body with any field is refused before the handler runs,
    /// as an unknown field is on every other route.
    public let readsBody: Bool
    let segments: [Substring]
    let handler: Handler

    public init(_ method: String, _ pattern: String, access: Access, audit: String? = nil, upload: UploadKind? = nil,
                long: Bool = false, offlineReadable: Bool = false, readsBody: Bool = true, handler: @escaping Handler) {
        self.offlineReadable = offlineReadable
        self.readsBody = readsBody
        self.method = method
        self.pattern = pattern
        self.access = access
        self.upload = upload
        self.long = long || upload != nil
        auditAction = audit
        segments = pattern.split(separator: "/")
        self.handler = handler
    }

    /// Engine resources: every one has a canonical `/api/v1/hosts/{host}/…` form; the plain one is the default host.
    static let hostScopedPrefixes = ["/api/v1/containers", "/api/v1/images", "/api/v1/stacks", "/api/v1/system/", "/api/v1/volumes", "/api/v1/networks"]

    /// An engine route (its plain form acts on the default host); the host's own routes under `/hosts/{host}` are not.
    public var hostScoped: Bool {
        let plain = pattern.hasPrefix("/api/v1/hosts/{host}/") ? "/api/v1" + pattern.dropFirst("/api/v1/hosts/{host}".count) : pattern
        return Self.hostScopedPrefixes.contains { plain.hasPrefix($0) }
    }

    /// The same route under `/api/v1/hosts/{host}`.
    func scoped() -> Route {
        Route(method, "/api/v1/hosts/{host}" + pattern.dropFirst("/api/v1".count), access: access, audit: auditAction, upload: upload,
              long: long, offlineReadable: offlineReadable, readsBody: readsBody, handler: handler)
    }
}

/// Matches a method and path to a route, extracting `{name}` parameters.
public struct Router: Sendable {
    public private(set) var routes: [Route] = []

    public init() {}

    public mutating func add(_ route: Route) { routes.append(route) }

    public enum Match {
        case found(Route, [String: String])
        /// The path exists with other methods (405 with `Allow`).
        case wrongMethod(allowed: [String])
        case notFound
    }

    public func match(method: String, path: String) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.bind(route.segments, to: parts) else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") { return .found(route, parameters) }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .wrongMethod(allowed: allowed)
    }

    private static func bind(_ pattern: [Substring], to parts: [Substring]) -> [String: String]? {
        guard pattern.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, parts) {
            if expected.hasPrefix("{") && expected.hasSuffix("}") {
                guard let value = String(actual).removingPercentEncoding, !value.isEmpty else { return nil }
                parameters[String(expected.dropFirst().dropLast())] = value
            } else if expected != actual {
                return nil
            }
        }
        return parameters
    }
}
