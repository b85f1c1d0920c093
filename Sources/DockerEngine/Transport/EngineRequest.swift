import Foundation

/// One HTTP request to the engine, before the version prefix is added.
public struct EngineRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [(String, String)]
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// Whole-request timeout in seconds; 0 for streams, which end when the consumer stops.
    public var timeout: Int
    /// False only for `/_ping`, which negotiation calls before a version is known.
    public var versioned: Bool
    /// curl's receive buffer for streams. Small by default: a follow mostly waits,
    /// and two hundred of them should cost little; bulk downloads ask for more.
    public var streamBufferSize = 4 << 10
    /// A file sent as the body (image archives, build contexts), read as curl
    /// asks for it so memory stays flat; `body` must then be nil.
    public var bodyFile: String?
    /// The `bodyFile` is still being written by another process (an upload in
    /// progress): the body is sent chunked and follows the file's growth. The
    /// writer says it is done by dropping the owner's write permission, and that
    /// it failed by unlinking the file; no growth for `writerStallSeconds` fails too.
    public var bodyFollowsWriter = false
    public static let writerStallSeconds = 120
    /// Keep the peer's certificate chain (TLS; the probe reads it). Needs `freshConnection`,
    /// as a reused connection has no handshake to report.
    var collectCertificates = false
    /// A new connection rather than one from curl's pool.
    var freshConnection = false

    public init(_ method: String, _ path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
                body: [UInt8]? = nil, timeout: Int = 60, versioned: Bool = true) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.versioned = versioned
    }

    func url(base: String, version: APIVersion?) -> String {
        var url = base
        if versioned, let version { url += "/v\(version)" }
        url += path
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        }
        return url
    }

    private static let allowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    static func escape(_ text: String) -> String {
        // Most values (ids, numbers, 0/1) need no escaping: skip Foundation's slower path for them.
        if text.utf8.allSatisfy(isUnreserved) { return text }
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): return true
        default: return false
        }
    }
}

/// A complete answer from the engine.
public struct EngineResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]
    /// The TLS peer's chain as PEM, leaf first, when the request asked for it.
    var peerCertificates: [String] = []

    init(status: Int, headers: [String: String], body: [UInt8], peerCertificates: [String] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.peerCertificates = peerCertificates
    }

    /// The named header, matched without regard to case.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

extension EngineRequest {
    /// The API area (`containers`, `images`, `_ping`, …): a metric label with few values, never an id or a name.
    var endpoint: String {
        path.split(separator: "/").first.map(String.init) ?? "/"
    }
}
