import JarvisCore

/// Finds the caller of a request from `Authorization: Bearer` or the session
/// cookie; shared by the FastCGI API and the stream server.
public struct Authenticator: Sendable {
    public static let accessCookie = "jarvis_access"
    public static let refreshCookie = "jarvis_refresh"
    public static let csrfCookie = "jarvis_csrf"
    public static let csrfHeader = "x-csrf-token"

    let auth: AuthService

    public init(auth: AuthService) { self.auth = auth }

    /// The principal, nil when the request carries no credentials at all.
    public func principal(authorization: String?, cookieHeader: String?) async throws -> Principal? {
        if let authorization, authorization.lowercased().hasPrefix("bearer ") {
            return try await auth.authenticate(accessToken: String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces),
                                               viaCookie: false)
        }
        if let token = HTTPRequest.parseCookies(cookieHeader)[Self.accessCookie], !token.isEmpty {
            return try await auth.authenticate(accessToken: token, viaCookie: true)
        }
        return nil
    }

    /// Cookie sessions must echo their CSRF token on writes; bearer clients are not at risk.
    static func checkCSRF(_ principal: Principal, request: HTTPRequest) throws {
        guard principal.viaCookie, request.isStateChanging else { return }
        guard let sent = request.header(csrfHeader), let expected = principal.csrf, constantTimeEqual(sent, expected) else {
            throw JarvisError(403, "csrf_failed", "missing or wrong X-CSRF-Token header")
        }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
