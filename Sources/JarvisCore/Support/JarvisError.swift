import Compose
import DockerEngine

/// An error that knows how it looks over HTTP; anything else renders as 500.
public struct JarvisError: Error, Sendable, CustomStringConvertible {
    public let status: Int
    public let code: String
    public let message: String
    /// Extra headers (e.g. `Retry-After`); rarely used.
    public var headers: [(String, String)] = []
    /// The request field at fault (`ports[1]`), for forms that point at it.
    public var field: String?
    /// Set on 428 answers: what the client must send back to go ahead.
    public var confirmation: ConfirmationChallenge?
    /// Every finding of a refused Compose file, with file, line and key path.
    public var issues: [ComposeIssue]?

    public init(_ status: Int, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status) \(code): \(message)" }

    public static func badRequest(_ message: String, code: String = "bad_request") -> JarvisError { JarvisError(400, code, message) }
    public static func unauthorized(_ message: String = "authentication required", code: String = "unauthorized") -> JarvisError {
        JarvisError(401, code, message)
    }
    /// A 400 whose message starts with the field at fault: `ports[1]: invalid port "80:xx"`.
    public static func invalidField(_ field: String, _ problem: String) -> JarvisError {
        JarvisError(400, "invalid_field", "\(field): \(problem)").field(field)
    }

    /// The same error naming the field at fault.
    public func field(_ name: String) -> JarvisError {
        var copy = self
        copy.field = name
        return copy
    }

    public static func forbidden(_ message: String) -> JarvisError { JarvisError(403, "forbidden", message) }
    public static func notFound(_ message: String) -> JarvisError { JarvisError(404, "not_found", message) }
    public static func conflict(_ message: String) -> JarvisError { JarvisError(409, "conflict", message) }

    /// The one place engine failures become HTTP answers.
    public static func from(_ error: EngineError) -> JarvisError {
        if error.code.isUnreachable { return JarvisError(503, "engine_unavailable", error.message) }
        switch error.code {
        case .unsupportedVersion: return JarvisError(503, "engine_unavailable", error.message)
        case .notFound: return JarvisError(404, "not_found", error.message)
        case .conflict: return JarvisError(409, "conflict", error.message)
        case .badRequest, .invalidArgument: return JarvisError(400, "bad_request", error.message)
        case .cancelled: return JarvisError(499, "cancelled", error.message)
        case .readOnly: return JarvisError(403, "read_only", error.message)
        case .refused: return JarvisError(403, "host_access_denied", error.message)
        default: return JarvisError(502, "engine_error", error.message)
        }
    }

    /// Any error as a `JarvisError`; unknown errors hide their details.
    public static func wrap(_ error: Error) -> JarvisError {
        if let error = error as? JarvisError { return error }
        if let error = error as? EngineError { return from(error) }
        return JarvisError(500, "internal", "internal error")
    }
}

/// Runs engine calls, turning their errors into API errors (the one mapping of `JarvisError.from`).
public func withEngineErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as EngineError {
        throw JarvisError.from(error)
    }
}
