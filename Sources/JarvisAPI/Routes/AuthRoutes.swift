import JarvisCore

enum AuthRoutes {
    struct LoginBody: Decodable { let username: String; let password: String }
    struct RefreshBody: Decodable { let refreshToken: String? }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let auth = environment.auth
        let secure = environment.config.secureCookies
        return [
            Route("POST", "/api/v1/auth/login", access: .open, audit: "auth.login") { context in
                let body = try context.decode(LoginBody.self)
                context.attemptedUsername = String(body.username.prefix(64))
                context.audit = AuditEvent(action: "auth.login", resourceType: "user", resourceName: context.attemptedUsername)
                let tokens = try await auth.login(username: body.username, password: body.password,
                                                  ip: context.request.remoteAddress, userAgent: context.request.header("user-agent")) { key in
                    environment.audit.record(AuditEvent(action: "auth.lock", resourceType: "login", resourceName: key),
                                             by: nil, username: context.attemptedUsername, facts: context.facts,
                                             error: JarvisError(429, "too_many_attempts", "login locked after repeated failures"))
                }
                context.principal = Principal(userID: tokens.user.id, username: tokens.user.username,
                                              role: Role(rawValue: tokens.user.role) ?? .viewer, sessionID: "", csrf: nil, viaCookie: false)
                context.audit?.resourceID = String(tokens.user.id)
                return try sessionResponse(tokens, secure: secure)
            },
            Route("POST", "/api/v1/auth/refresh", access: .open) { context in
                let cookies = context.request.cookies
                let fromBody = context.request.body.isEmpty ? nil : try context.decode(RefreshBody.self).refreshToken
                let token: String
                if let fromBody {
                    token = fromBody
                } else if let fromCookie = cookies[Authenticator.refreshCookie] {
                    // A cookie-borne refresh is a browser write: it must echo the CSRF cookie.
                    guard let sent = context.request.header(Authenticator.csrfHeader), let expected = cookies[Authenticator.csrfCookie],
                          Authenticator.constantTimeEqual(sent, expected) else {
                        throw JarvisError(403, "csrf_failed", "missing or wrong X-CSRF-Token header")
                    }
                    token = fromCookie
                } else {
                    throw JarvisError.unauthorized("no refresh token", code: "invalid_token")
                }
                let tokens = try await auth.refresh(token: token, ip: context.request.remoteAddress,
                                                    userAgent: context.request.header("user-agent")) { userID, username, session in
                    // A replayed refresh token is a stolen or raced one: the owner's session ended; say who and which.
                    environment.audit.record(AuditEvent(action: "auth.refresh_reuse", resourceType: "session", resourceID: session,
                                                        resourceName: username, params: ["user_id": String(userID)]),
                                             by: nil, username: username, facts: context.facts,
                                             error: JarvisError.unauthorized("refresh token was already used; the session has been revoked",
                                                                             code: "token_reused"))
                }
                return try sessionResponse(tokens, secure: secure)
            },
            Route("POST", "/api/v1/auth/logout", access: .role(.viewer), audit: "auth.logout", readsBody: false) { context in
                try auth.logout(sessionID: context.principal?.sessionID, refreshToken: context.request.cookies[Authenticator.refreshCookie])
                context.audit = AuditEvent(action: "auth.logout", resourceType: "user",
                                           resourceID: context.principal.map { String($0.userID) }, resourceName: context.principal?.username)
                var response = HTTPResponse.noContent()
                for name in [Authenticator.accessCookie, Authenticator.csrfCookie] {
                    response.headers.append(("Set-Cookie", cookie(name, "", path: "/", maxAge: 0, httpOnly: name != Authenticator.csrfCookie, secure: secure)))
                }
                response.headers.append(("Set-Cookie", cookie(Authenticator.refreshCookie, "", path: "/api/v1/auth", maxAge: 0, httpOnly: true, secure: secure)))
                return response
            },
            Route("GET", "/api/v1/auth/me", access: .role(.viewer)) { context in
                guard let principal = context.principal, let user = try auth.user(id: principal.userID) else {
                    throw JarvisError.unauthorized()
                }
                return try .json(user)
            },
        ]
    }

    static func sessionResponse(_ tokens: SessionTokens, secure: Bool) throws -> HTTPResponse {
        var response = try HTTPResponse.json(tokens)
        response.headers += [
            ("Set-Cookie", cookie(Authenticator.accessCookie, tokens.accessToken, path: "/", maxAge: tokens.expiresIn, httpOnly: true, secure: secure)),
            ("Set-Cookie", cookie(Authenticator.refreshCookie, tokens.refreshToken, path: "/api/v1/auth", maxAge: tokens.refreshExpiresIn, httpOnly: true, secure: secure)),
            ("Set-Cookie", cookie(Authenticator.csrfCookie, tokens.csrfToken, path: "/", maxAge: tokens.refreshExpiresIn, httpOnly: false, secure: secure)),
        ]
        return response
    }

    static func cookie(_ name: String, _ value: String, path: String, maxAge: Int, httpOnly: Bool, secure: Bool) -> String {
        var parts = ["\(name)=\(value)", "Path=\(path)", "Max-Age=\(maxAge)", "SameSite=Strict"]
        if httpOnly { parts.append("HttpOnly") }
        if secure { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }
}
