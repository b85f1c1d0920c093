import Foundation

/// The channel kinds and what each needs.
public enum NotifyChannelKind: String, CaseIterable, Sendable {
    case webhook, email, wecom, feishu, dingtalk, slack, discord, telegram, ntfy, gotify

    /// Messages per minute the service allows one robot (published limits; nil: none enforced here).
    public var perMinute: Int? {
        switch self {
        case .wecom, .dingtalk: return 20
        case .feishu: return 100
        case .slack: return 60
        case .discord: return 30
        case .telegram: return 20
        default: return nil
        }
    }

    /// Where the service lives when the channel gives no `base_url` (tests point it at 127.0.0.1).
    var defaultBaseURL: String? {
        switch self {
        case .wecom: return "https://qyapi.weixin.qq.com"
        case .feishu: return "https://open.feishu.cn"
        case .dingtalk: return "https://oapi.dingtalk.com"
        case .telegram: return "https://api.telegram.org"
        case .ntfy: return "https://ntfy.sh"
        default: return nil
        }
    }
}

/// A channel's settings, sealed as JSON at rest. Fields that hold tokens (`NotifyChannelConfig.secretFields`)
/// are never returned by the API: they come back as `********`, and sending `********` keeps the saved value.
public struct NotifyChannelConfig: Codable, Sendable, Equatable {
    public var url: String?
    public var baseUrl: String?
    public var method: String?
    public var headers: [String: String]?
    public var secret: String?
    public var key: String?
    public var token: String?
    public var chatId: String?
    public var topic: String?
    public var priority: Int?
    public var markdown: Bool?
    public var host: String?
    public var port: Int?
    /// `starttls` (default), `tls` (implicit, smtps) or `none`.
    public var security: String?
    /// False turns certificate verification off for this channel only.
    public var tlsVerify: Bool?
    /// A CA certificate (PEM) to verify the server with, instead of the system's.
    public var caPem: String?
    public var username: String?
    public var password: String?
    public var from: String?
    public var to: [String]?


    public init() {}

    public static let mask = "********"
    public static let secretFields = ["url", "secret", "key", "token", "password"]

    /// The configuration as the API shows it: secrets and header values masked.
    public var masked: NotifyChannelConfig {
        var copy = self
        if copy.url != nil { copy.url = Self.mask }
        if copy.secret != nil { copy.secret = Self.mask }
        if copy.key != nil { copy.key = Self.mask }
        if copy.token != nil { copy.token = Self.mask }
        if copy.password != nil { copy.password = Self.mask }
        copy.headers = copy.headers?.mapValues { _ in Self.mask }
        return copy
    }

    /// `new` with every masked value replaced by the saved one (a PUT that resends what GET showed).
    public static func merge(_ new: NotifyChannelConfig, keeping saved: NotifyChannelConfig) -> NotifyChannelConfig {
        var merged = new
        if merged.url == mask { merged.url = saved.url }
        if merged.secret == mask { merged.secret = saved.secret }
        if merged.key == mask { merged.key = saved.key }
        if merged.token == mask { merged.token = saved.token }
        if merged.password == mask { merged.password = saved.password }
        if merged.headers == nil { merged.headers = saved.headers }  // GET shows names only; `{}` clears them
        if let headers = merged.headers {
            merged.headers = headers.reduce(into: [:]) { result, pair in
                result[pair.key] = pair.value == mask ? saved.headers?[pair.key] ?? "" : pair.value
            }
        }
        return merged
    }

    /// Every secret value, so answers and errors can be scrubbed of them before they are logged.
    public var secretValues: [String] {
        ([url, secret, key, token, password].compactMap { $0 } + (headers.map { Array($0.values) } ?? []))
            .filter { $0.count >= 4 && $0 != Self.mask }
    }

    /// The first problem with this configuration for `kind`, as (field, message).
    public func problem(for kind: NotifyChannelKind) -> (String, String)? {
        func need(_ value: String?, _ field: String) -> (String, String)? {
            (value ?? "").isEmpty ? (field, "\(field) is required for a \(kind.rawValue) channel") : nil
        }
        func httpURL(_ value: String?, _ field: String) -> (String, String)? {
            guard let value, !value.isEmpty else { return nil }
            guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
                return (field, "\(field) must be an http or https URL")
            }
            return nil
        }
        if let problem = httpURL(url == Self.mask ? nil : url, "url") ?? httpURL(baseUrl, "base_url") { return problem }
        switch kind {
        case .webhook:
            if let problem = need(url, "url") { return problem }
            if let method, !["POST", "PUT"].contains(method) { return ("method", "method must be POST or PUT") }
            for name in (headers ?? [:]).keys where name.isEmpty || name.contains(where: { $0 == ":" || $0.isNewline || $0 == " " }) {
                return ("headers", "header name \(name) is not valid")
            }
            for value in (headers ?? [:]).values where value.contains(where: \.isNewline) { return ("headers", "header values must be one line") }
        case .slack, .discord: return need(url, "url")
        case .wecom: return need(key, "key")
        case .feishu: return need(token, "token")
        case .dingtalk: return need(token, "token")
        case .telegram: return need(token, "token") ?? need(chatId, "chat_id")
        case .ntfy: return need(topic, "topic")
        case .gotify: return need(baseUrl, "base_url") ?? need(token, "token")
        case .email:
            if let problem = need(host, "host") ?? need(from, "from") { return problem }
            if (to ?? []).isEmpty { return ("to", "to needs at least one address") }
            for address in [from ?? ""] + (to ?? []) where !Self.isAddress(address) {
                return (address == from ? "from" : "to", "\(address) is not an email address")
            }
            if let port, !(1...65535).contains(port) { return ("port", "port must be 1...65535") }
            if let security, !["starttls", "tls", "none"].contains(security) { return ("security", "security must be starttls, tls or none") }
            if let host, host.contains(where: { $0 == "/" || $0 == "@" || $0.isWhitespace }) { return ("host", "host must be a host name or address") }
        }
        if let priority, !(1...10).contains(priority) { return ("priority", "priority must be 1...10") }
        return nil
    }

    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") || (parts.count == 2 && parts[1] == "localhost")
            ? !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," }) : false
    }
}
