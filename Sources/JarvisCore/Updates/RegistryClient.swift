import Crypto
import Foundation
import JarvisStore

/// Why a registry could not answer, in words an operator can act on.
public struct RegistryError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable { case unreachable, unauthorized, notFound = "not_found", rateLimited = "rate_limited", protocolError = "protocol" }
    public let kind: Kind
    public let description: String
    /// For `rateLimited`: when the registry may be asked again.
    public var retryAt: Date?

    init(_ kind: Kind, _ description: String, retryAt: Date? = nil) {
        self.kind = kind
        self.description = description
        self.retryAt = retryAt
    }
}

/// What a registry says a tag points at now.
public struct RemoteManifest: Sendable, Equatable {
    /// `Docker-Content-Digest` of the tag: an index (manifest list) or a single manifest.
    public var digest: String
    public var mediaType: String?
}

/// The Docker Registry HTTP API v2 (OCI distribution) as update checks need it: manifest digests by
/// HEAD (Docker Hub does not count a HEAD as a pull), a GET only to resolve an index to one platform,
/// tag lists with paging, and the three ways to sign in (anonymous, basic, the bearer-token flow).
/// One client per check round: tokens and rate-limit backoffs are kept per registry for its life.
public final class RegistryClient: @unchecked Sendable {
    public struct Login: Sendable {
        public let username: String
        public let password: String
        public init(username: String, password: String) { self.username = username; self.password = password }
    }

    /// What the registry said about its limits (`ratelimit-remaining: 76;w=21600`).
    public struct RateLimit: Sendable, Equatable {
        public var remaining: Int
        public var windowSeconds: Int?
    }

    static let manifestTypes = [
        "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json",
    ]

    private let insecure: Set<String>
    private let logins: @Sendable (String) -> Login?
    private let send: @Sendable (OutboundClient.HTTPRequest) async -> OutboundClient.Answer
    private let lock = NSLock()
    private var tokens: [String: (token: String, expires: Date)] = [:]
    private var basicRegistries: Set<String> = []
    private var backoff: [String: Date] = [:]
    private var limits: [String: RateLimit] = [:]
    private var counts: [String: Int] = [:]

    /// `logins` gives the saved credential of a registry host; `send` is the HTTP transport (tests swap it).
    public init(insecureRegistries: Set<String>, logins: @escaping @Sendable (String) -> Login?,
                send: @escaping @Sendable (OutboundClient.HTTPRequest) async -> OutboundClient.Answer = OutboundClient.send) {
        insecure = insecureRegistries
        self.logins = logins
        self.send = send
    }

    /// Requests sent so far by method (`HEAD`, `GET`), token fetches included under `GET`.
    public var requestCounts: [String: Int] { lock.withLock { counts } }

    /// The last rate-limit headers each registry sent.
    public var rateLimits: [String: RateLimit] { lock.withLock { limits } }

    /// The digest `reference`'s tag points at, by HEAD; GET only when the registry does not answer HEAD.
    public func manifestDigest(_ reference: ImageReference) async throws -> RemoteManifest {
        let path = "/v2/\(Self.remoteName(reference))/manifests/\(reference.tag)"
        let head = try await request("HEAD", reference.registry, path, repository: Self.remoteName(reference), accept: Self.manifestTypes)
        if (200..<300).contains(head.status), let digest = head.header("docker-content-digest"), digest.hasPrefix("sha256:") {
            return RemoteManifest(digest: digest, mediaType: head.header("content-type"))
        }
        if head.status == 404 { throw RegistryError(.notFound, "\(reference.description) is not in \(reference.registry)") }
        // Some registries answer HEAD with 405 or without the digest header: GET and hash the body.
        let got = try await manifest(reference, reference: reference.tag)
        return RemoteManifest(digest: got.digest, mediaType: got.mediaType)
    }

    /// A manifest or index by tag or digest, with its digest (the header's, else the body's sha256).
    public func manifest(_ image: ImageReference, reference: String) async throws -> (digest: String, mediaType: String?, body: String) {
        let name = Self.remoteName(image)
        let answer = try await request("GET", image.registry, "/v2/\(name)/manifests/\(reference)", repository: name,
                                       accept: Self.manifestTypes, maxBody: 4 << 20)
        guard (200..<300).contains(answer.status) else {
            if answer.status == 404 { throw RegistryError(.notFound, "\(image.repository):\(reference) is not in \(image.registry)") }
            throw RegistryError(.protocolError, "\(image.registry) answered \(answer.status) for the manifest of \(image.description)")
        }
        let digest = answer.header("docker-content-digest") ?? Self.sha256(answer.body)
        return (digest, answer.header("content-type"), answer.body)
    }

    /// The image config a tag's manifest names for one platform (its digest is the image id the engine shows),
    /// and the creation date the config carries. An index is resolved to `platform` first.
    public func platformConfig(_ image: ImageReference, digest: String, platform: (os: String, architecture: String, variant: String?))
        async throws -> (configDigest: String, created: String?) {
        var got = try await manifest(image, reference: digest)
        var json = try Self.object(got.body)
        if let entries = json["manifests"] as? [[String: Any]] {
            let match = entries.first { entry in
                let wanted = entry["platform"] as? [String: Any] ?? [:]
                return wanted["os"] as? String == platform.os && wanted["architecture"] as? String == platform.architecture
                    && (platform.variant == nil || wanted["variant"] == nil || wanted["variant"] as? String == platform.variant)
            }
            guard let platformDigest = match?["digest"] as? String else {
                throw RegistryError(.notFound, "\(image.description) has no image for \(platform.os)/\(platform.architecture)")
            }
            got = try await manifest(image, reference: platformDigest)
            json = try Self.object(got.body)
        }
        guard let config = (json["config"] as? [String: Any])?["digest"] as? String else {
            throw RegistryError(.protocolError, "the manifest of \(image.description) names no config")
        }
        let name = Self.remoteName(image)
        let blob = try await request("GET", image.registry, "/v2/\(name)/blobs/\(config)", repository: name, accept: ["*/*"], maxBody: 1 << 20)
        let created = (200..<300).contains(blob.status) ? (try? Self.object(blob.body))?["created"] as? String : nil
        return (config, created)
    }

    /// Every tag of a repository, following `Link: <…>; rel="next"` pages (at most `limit` tags).
    public func tags(_ image: ImageReference, limit: Int = 10_000) async throws -> [String] {
        let name = Self.remoteName(image)
        var path: String? = "/v2/\(name)/tags/list?n=1000"
        var tags: [String] = []
        while let next = path, tags.count < limit {
            let answer = try await request("GET", image.registry, next, repository: name, accept: ["application/json"], maxBody: 8 << 20)
            guard (200..<300).contains(answer.status) else {
                if answer.status == 404 { throw RegistryError(.notFound, "\(image.repository) is not in \(image.registry)") }
                throw RegistryError(.protocolError, "\(image.registry) answered \(answer.status) for the tags of \(image.repository)")
            }
            tags += (try Self.object(answer.body)["tags"] as? [String]) ?? []
            path = answer.header("link").flatMap(Self.nextLink)
        }
        return Array(tags.prefix(limit))
    }

    // MARK: requests and sign-in

    private func request(_ method: String, _ registry: String, _ path: String, repository: String, accept: [String],
                         maxBody: Int = 65536) async throws -> OutboundClient.Answer {
        if let until = lock.withLock({ backoff[registry] }), until > Date() {
            throw RegistryError(.rateLimited, "\(registry) asked us to wait until \(Timestamp.string(until))", retryAt: until)
        }
        let scope = "repository:\(repository):pull"
        let url = baseURL(registry) + path
        var answer = await perform(method, url, accept: accept, authorization: authorization(registry, scope: scope), maxBody: maxBody)
        if answer.status == 401 {
            let challenge = answer.header("www-authenticate") ?? ""
            guard let header = try await signIn(registry, challenge: challenge, scope: scope) else {
                throw RegistryError(.unauthorized, "\(registry) wants a login for \(repository) and none is saved, or it was refused")
            }
            answer = await perform(method, url, accept: accept, authorization: header, maxBody: maxBody)
            if answer.status == 401 || answer.status == 403 {
                throw RegistryError(.unauthorized, "\(registry) refused the login for \(repository)")
            }
        }
        try note(answer, registry: registry)
        return answer
    }

    private func perform(_ method: String, _ url: String, accept: [String], authorization: String?, maxBody: Int) async -> OutboundClient.Answer {
        var headers = [("Accept", accept.joined(separator: ", "))]
        if let authorization { headers.append(("Authorization", authorization)) }
        var request = OutboundClient.HTTPRequest(method: method, url: url, headers: headers)
        request.maxBody = maxBody
        request.timeout = 30
        request.userAgent = "Jarvis-Updates/1"
        lock.withLock { counts[method, default: 0] += 1 }
        return await send(request)
    }

    /// Reads the limit headers; a 429 or an exhausted window starts a backoff instead of failing every check.
    private func note(_ answer: OutboundClient.Answer, registry: String) throws {
        if let error = answer.transportError, answer.status == 0 {
            throw RegistryError(.unreachable, "\(registry) is unreachable: \(error)")
        }
        if let remaining = answer.header("ratelimit-remaining").flatMap(Self.rateLimit) {
            lock.withLock { limits[registry] = remaining }
            if remaining.remaining <= 0 {
                lock.withLock { backoff[registry] = Date().addingTimeInterval(TimeInterval(remaining.windowSeconds ?? 3600)) }
            }
        }
        if answer.status == 429 {
            let wait = answer.header("retry-after").flatMap { TimeInterval($0) } ?? 3600
            let until = Date().addingTimeInterval(wait)
            lock.withLock { backoff[registry] = until }
            throw RegistryError(.rateLimited, "\(registry) is rate limiting us until \(Timestamp.string(until))", retryAt: until)
        }
    }

    private func authorization(_ registry: String, scope: String) -> String? {
        let (token, basic) = lock.withLock { () -> (String?, Bool) in
            if let cached = tokens[registry + " " + scope], cached.expires > Date() { return (cached.token, false) }
            return (nil, basicRegistries.contains(registry))
        }
        if let token { return "Bearer " + token }
        return basic ? logins(registry).map(Self.basic) : nil
    }

    /// Answers a 401's challenge: Basic with the saved login, or Bearer with a token from the realm.
    private func signIn(_ registry: String, challenge: String, scope: String) async throws -> String? {
        let login = logins(registry)
        guard let parsed = Self.parseChallenge(challenge) else { return nil }
        if parsed.scheme == "basic" {
            guard let login else { return nil }
            lock.withLock { _ = basicRegistries.insert(registry) }
            return Self.basic(login)
        }
        guard parsed.scheme == "bearer", let realm = parsed.parameters["realm"], var components = URLComponents(string: realm),
              components.scheme == "https" || (components.scheme == "http" && isInsecure(registry)) else {
            throw RegistryError(.protocolError, "\(registry) sent a token realm Jarvis will not use: \(challenge.prefix(200))")
        }
        var query = components.queryItems ?? []
        if let service = parsed.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
        query.append(URLQueryItem(name: "scope", value: parsed.parameters["scope"] ?? scope))
        components.queryItems = query
        var headers = [("Accept", "application/json")]
        if let login { headers.append(("Authorization", Self.basic(login))) }
        var tokenRequest = OutboundClient.HTTPRequest(method: "GET", url: components.string ?? realm, headers: headers)
        tokenRequest.timeout = 30
        tokenRequest.userAgent = "Jarvis-Updates/1"
        lock.withLock { counts["GET", default: 0] += 1 }
        let answer = await send(tokenRequest)
        if let error = answer.transportError, answer.status == 0 {
            throw RegistryError(.unreachable, "the token service of \(registry) is unreachable: \(error)")
        }
        guard (200..<300).contains(answer.status), let json = try? Self.object(answer.body),
              let token = (json["token"] as? String) ?? (json["access_token"] as? String), !token.isEmpty else { return nil }
        let lifetime = (json["expires_in"] as? NSNumber)?.doubleValue ?? 60
        lock.withLock { tokens[registry + " " + scope] = (token, Date().addingTimeInterval(max(10, lifetime - 5))) }
        return "Bearer " + token
    }

    func isInsecure(_ registry: String) -> Bool { insecure.contains(registry.lowercased()) }

    func baseURL(_ registry: String) -> String {
        if registry == ImageReference.dockerHub { return "https://registry-1.docker.io" }
        return (isInsecure(registry) ? "http://" : "https://") + registry
    }

    // MARK: pure helpers

    /// The repository path on its registry: without the registry host, and `library/` for Docker Hub's official images.
    static func remoteName(_ reference: ImageReference) -> String {
        var name = reference.repository
        if reference.registry != ImageReference.dockerHub, name.hasPrefix(reference.registry + "/") {
            name = String(name.dropFirst(reference.registry.count + 1))
        } else if name.hasPrefix("docker.io/") {
            name = String(name.dropFirst("docker.io/".count))
        }
        if reference.registry == ImageReference.dockerHub, !name.contains("/") { name = "library/" + name }
        return name
    }

    /// `Bearer realm="…",service="…",scope="…"` → scheme (lowercased) and parameters.
    static func parseChallenge(_ header: String) -> (scheme: String, parameters: [String: String])? {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") ?? (trimmed.isEmpty ? nil : trimmed.endIndex) else { return nil }
        let scheme = trimmed[..<space].lowercased()
        var parameters: [String: String] = [:]
        var rest = Substring(trimmed[space...])
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped { value.append(character); escaped = false } else if character == "\\" { escaped = true }
                    else if character == "\"" { break } else { value.append(character) }
                }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            if !key.isEmpty { parameters[key] = value }
        }
        return (scheme, parameters)
    }

    /// `76;w=21600` → 76 left in a window of 21,600 s.
    static func rateLimit(_ header: String) -> RateLimit? {
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let remaining = Int(first) else { return nil }
        let window = parts.dropFirst().first { $0.hasPrefix("w=") }.flatMap { Int($0.dropFirst(2)) }
        return RateLimit(remaining: remaining, windowSeconds: window)
    }

    /// `</v2/x/tags/list?n=1000&last=b>; rel="next"` → the path to ask next.
    static func nextLink(_ header: String) -> String? {
        for part in header.split(separator: ",") where part.contains("rel=\"next\"") {
            guard let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">"), open < close else { continue }
            let target = String(part[part.index(after: open)..<close])
            if target.hasPrefix("/") { return target }
            return URLComponents(string: target).map { $0.percentEncodedPath + ($0.percentEncodedQuery.map { "?" + $0 } ?? "") }
        }
        return nil
    }

    static func basic(_ login: Login) -> String {
        "Basic " + Data("\(login.username):\(login.password)".utf8).base64EncodedString()
    }

    static func sha256(_ text: String) -> String {
        "sha256:" + SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func object(_ text: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw RegistryError(.protocolError, "the registry's answer is not a JSON object")
        }
        return object
    }
}
