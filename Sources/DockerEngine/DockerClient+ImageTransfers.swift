import Foundation

/// Credentials for one registry, sent as `X-Registry-Auth` (base64url of JSON).
public struct RegistryAuth: Sendable, Encodable {
    public let username: String
    public let password: String
    public let serveraddress: String

    public init(username: String, password: String, serverAddress: String) {
        self.username = username
        self.password = password
        serveraddress = serverAddress
    }

    var header: String {
        let json = (try? JSONEncoder().encode(self)) ?? Data()
        return json.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
}

/// One JSON line of pull, push, build and load progress.
public struct ProgressMessage: Decodable, Sendable {
    public struct Detail: Decodable, Sendable {
        public let current: Int64?
        public let total: Int64?
    }

    public struct ErrorDetail: Decodable, Sendable {
        public let message: String?
    }

    public struct Aux: Decodable, Sendable {
        public let id: String?
        public let digest: String?

        enum CodingKeys: String, CodingKey { case id = "ID", digest = "Digest" }
    }

    public let id: String?
    public let status: String?
    public let progressDetail: Detail?
    public let stream: String?
    public let error: String?
    public let errorDetail: ErrorDetail?
    public let aux: Aux?

    /// The failure this line reports, if any: the engine sends errors in the body after a 200.
    public var failure: String? { errorDetail?.message ?? error }
}

/// Parameters of `POST /build` with the classic builder (`version=1`; BuildKit needs a session).
public struct BuildOptions: Sendable {
    public var tags: [String] = []
    public var dockerfile: String?
    public var buildArgs: [String: String] = [:]
    public var target: String?
    public var noCache = false
    public var pull = false
    /// A Git URL (`https://…`, `git://…`, with `#ref:subdir`) the engine clones itself.
    public var remote: String?
    public var labels: [String: String] = [:]
    /// Images the builder may take cached layers from (`cachefrom`).
    public var cacheFrom: [String] = []
    /// `host:ip` lines for RUN steps' /etc/hosts (`extrahosts`).
    public var extraHosts: [String] = []
    public var shmSize: Int64?
    /// The network RUN steps join (`networkmode`).
    public var networkMode: String?
    public var isolation: String?
    public var platform: String?

    public init() {}

    var query: [(String, String)] {
        var query: [(String, String)] = [("version", "1"), ("rm", "1"), ("forcerm", "1")]
        query += tags.map { ("t", $0) }
        if let dockerfile { query.append(("dockerfile", dockerfile)) }
        if !buildArgs.isEmpty, let json = try? JSONEncoder().encode(buildArgs) { query.append(("buildargs", String(decoding: json, as: UTF8.self))) }
        if !labels.isEmpty, let json = try? JSONEncoder().encode(labels) { query.append(("labels", String(decoding: json, as: UTF8.self))) }
        if let target { query.append(("target", target)) }
        if noCache { query.append(("nocache", "1")) }
        if pull { query.append(("pull", "1")) }
        if let remote { query.append(("remote", remote)) }
        if !cacheFrom.isEmpty, let json = try? JSONEncoder().encode(cacheFrom) { query.append(("cachefrom", String(decoding: json, as: UTF8.self))) }
        query += extraHosts.map { ("extrahosts", $0) }
        if let shmSize { query.append(("shmsize", String(shmSize))) }
        if let networkMode { query.append(("networkmode", networkMode)) }
        if let isolation { query.append(("isolation", isolation)) }
        if let platform { query.append(("platform", platform)) }
        return query
    }
}

extension DockerClient {
    /// `POST /images/create?fromImage=&tag=`: a pull, as progress lines. The tag is
    /// required: an empty one would pull every tag of the repository.
    /// `platform` (`linux/arm64`) picks that variant of a multi-platform image; nil is the engine's own.
    public func pullImage(_ image: String, tag: String, auth: RegistryAuth?, platform: String? = nil) async throws -> AsyncThrowingStream<ProgressMessage, Error> {
        guard !tag.isEmpty else { throw EngineError(.invalidArgument, message: "a pull needs a tag or digest") }
        var headers: [(String, String)] = []
        if let auth { headers.append(("X-Registry-Auth", auth.header)) }
        var query = tag.hasPrefix("sha256:") ? [("fromImage", "\(image)@\(tag)")] : [("fromImage", image), ("tag", tag)]
        if let platform { query.append(("platform", platform)) }
        return try await progressStream(EngineRequest("POST", "/images/create", query: query, headers: headers, timeout: 0))
    }

    /// `POST /build`: from a context archive on disk, or from `options.remote` with no body.
    public func buildImage(_ options: BuildOptions, contextFile: String?) async throws -> AsyncThrowingStream<ProgressMessage, Error> {
        var request = EngineRequest("POST", "/build", query: options.query, timeout: 0)
        if let contextFile { request.bodyFile = contextFile } else { request.body = [] }
        return try await progressStream(request)
    }

    /// `POST /images/load` of an archive on disk (`.tar`, or compressed: the engine unpacks it).
    /// `followingWriter`: the archive is still arriving (see `EngineRequest.bodyFollowsWriter`).
    public func loadImages(archive: String, followingWriter: Bool = false) async throws -> AsyncThrowingStream<ProgressMessage, Error> {
        var request = EngineRequest("POST", "/images/load", query: [("quiet", "0")], timeout: 0)
        request.bodyFile = archive
        request.bodyFollowsWriter = followingWriter
        return try await progressStream(request)
    }

    /// `GET /images/get?names=…`: one tar archive of the images, as raw bytes.
    public func exportImages(_ names: [String]) async throws -> EngineByteStream {
        var request = EngineRequest("GET", "/images/get", query: try names.map { ("names", try Self.validImageReference($0)) }, timeout: 0)
        request.streamBufferSize = 256 << 10
        return try await openStream(request)
    }

    private func progressStream(_ request: EngineRequest) async throws -> AsyncThrowingStream<ProgressMessage, Error> {
        let reader = JSONLineReader<ProgressMessage>(source: try await openStream(request))
        return AsyncThrowingStream { try await reader.next() }
    }
}
