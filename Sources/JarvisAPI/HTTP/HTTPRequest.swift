import Foundation

/// A request as the router sees it, whoever delivered it (FastCGI or a test).
public struct HTTPRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]
    public var remoteAddress: String?
    public var requestID: String
    /// A file body already on disk (image archives, build contexts); `body` is then empty.
    public var upload: UploadedFile?

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                body: [UInt8] = [], remoteAddress: String? = nil, requestID: String = UUID().uuidString) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        self.body = body
        self.remoteAddress = remoteAddress
        self.requestID = requestID
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Cookies from the `Cookie` header; the first of duplicate names wins.
    public var cookies: [String: String] { Self.parseCookies(header("cookie")) }

    public static func parseCookies(_ header: String?) -> [String: String] {
        var cookies: [String: String] = [:]
        for pair in (header ?? "").split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            if cookies[name] == nil { cookies[name] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return cookies
    }

    /// Splits `a=1&b=x%20y` into a dictionary (first value wins), decoding `+` and `%XX`.
    public static func parseQuery(_ text: String) -> [String: String] { QueryString.parse(text) }
}

/// Query strings as browsers send them (`URLSearchParams` writes spaces as `+`);
/// shared with jarvis-sse, whose framework leaves `+` alone.
public enum QueryString {
    public static func parse(_ text: String) -> [String: String] {
        var query: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            let name = decode(parts[0])
            if query[name] == nil { query[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return query
    }
}

extension HTTPRequest {
    var isStateChanging: Bool { !["GET", "HEAD", "OPTIONS"].contains(method) }
}
