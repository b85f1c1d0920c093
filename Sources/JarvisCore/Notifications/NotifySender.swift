import Foundation
import JarvisStore

/// What a delivery attempt came to: sent, or failed with the reason; `answer` is what the service
/// said (scrubbed of the channel's secrets).
public struct NotifyOutcome: Sendable, Encodable {
    public var ok: Bool
    public var status: Int
    public var answer: String
    public var error: String?
}

/// Builds each service's documented request for a message, sends it, and judges the answer by the
/// service's own success field (`errcode`/`code` 0, `ok` true), not only the HTTP status.
public struct NotifySender: Sendable {
    public let kind: NotifyChannelKind
    public let config: NotifyChannelConfig
    /// The clock, for signatures (tests fix it).
    var now: @Sendable () -> Date = { Date() }

    public init(kind: NotifyChannelKind, config: NotifyChannelConfig) {
        self.kind = kind
        self.config = config
    }

    /// The generic webhook's body (schema `jarvis.notification.v1`, docs/notifications.md).
    public static func webhookPayload(message: NotifyMessage, event: NotifyEventRecord?, kind: String, target: String,
                                      rule: (id: Int64, name: String)?, deliveryID: Int64?, repeats: Int) -> [UInt8] {
        var eventObject: [String: Any] = ["kind": kind, "target": target]
        if let event {
            eventObject["id"] = event.id
            eventObject["severity"] = event.severity
            eventObject["at"] = event.at
            eventObject["host"] = event.hostName ?? NSNull()
            eventObject["summary"] = event.summary
            eventObject["fields"] = NotifyRule.fields(of: event)
        }
        let object: [String: Any] = [
            "schema": "jarvis.notification.v1",
            "delivery_id": deliveryID.map { $0 as Any } ?? NSNull(),
            "event": eventObject,
            "rule": rule.map { ["id": $0.id, "name": $0.name] as [String: Any] } ?? NSNull(),
            "repeats": repeats,
            "message": ["title": message.title, "text": message.text],
        ]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
    }

    /// Sends `message`; `payload` is the webhook body (other kinds build their own).
    public func send(_ message: NotifyMessage, payload: [UInt8]) async -> NotifyOutcome {
        if kind == .email { return await sendMail(message) }
        let request: OutboundClient.HTTPRequest
        do { request = try httpRequest(message, payload: payload) } catch {
            return NotifyOutcome(ok: false, status: 0, answer: "", error: "\(error)")
        }
        var outbound = request
        outbound.verifyTLS = config.tlsVerify ?? true
        let answer = await OutboundClient.send(outbound)
        return judge(answer)
    }

    struct BuildError: Error, CustomStringConvertible { let description: String }

    private func base() -> String {
        var base = config.baseUrl ?? kind.defaultBaseURL ?? ""
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    private func json(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data())
    }

    /// The service's request (pure: the unit tests read it).
    func httpRequest(_ message: NotifyMessage, payload: [UInt8]) throws -> OutboundClient.HTTPRequest {
        let jsonHeader = [("Content-Type", "application/json; charset=utf-8")]
        let markdown = config.markdown ?? false
        switch kind {
        case .webhook:
            let timestamp = Int64(now().timeIntervalSince1970)
            var headers = jsonHeader + [("X-Jarvis-Timestamp", String(timestamp)), ("X-Jarvis-Schema", "jarvis.notification.v1")]
            if let secret = config.secret, !secret.isEmpty {
                headers.append(("X-Jarvis-Signature", NotifySignatures.webhook(timestamp: timestamp, body: payload, secret: secret)))
            }
            for (name, value) in (config.headers ?? [:]).sorted(by: { $0.key < $1.key }) { headers.append((name, value)) }
            return .init(method: config.method ?? "POST", url: config.url ?? "", headers: headers, body: payload)
        case .wecom:
            // Text messages are limited to 2,048 bytes, markdown to 4,096.
            let body: [String: Any] = markdown
                ? ["msgtype": "markdown", "markdown": ["content": Self.truncate("**\(message.title)**\n" + message.body, bytes: 4096)]]
                : ["msgtype": "text", "text": ["content": Self.truncate(message.text, bytes: 2048)]]
            let key = NotifySignatures.percentEncode(config.key ?? "")
            return .init(url: base() + "/cgi-bin/webhook/send?key=" + key, headers: jsonHeader, body: json(body))
        case .feishu:
            var body: [String: Any] = ["msg_type": "text", "content": ["text": message.text]]
            if let secret = config.secret, !secret.isEmpty {
                let timestamp = Int64(now().timeIntervalSince1970)
                body["timestamp"] = String(timestamp)
                body["sign"] = NotifySignatures.feishu(timestamp: timestamp, secret: secret)
            }
            return .init(url: base() + "/open-apis/bot/v2/hook/" + NotifySignatures.percentEncode(config.token ?? ""), headers: jsonHeader, body: json(body))
        case .dingtalk:
            var url = base() + "/robot/send?access_token=" + NotifySignatures.percentEncode(config.token ?? "")
            if let secret = config.secret, !secret.isEmpty {
                let millis = Int64(now().timeIntervalSince1970 * 1000)
                url += "&timestamp=\(millis)&sign=" + NotifySignatures.dingtalk(timestampMillis: millis, secret: secret)
            }
            let body: [String: Any] = markdown
                ? ["msgtype": "markdown", "markdown": ["title": message.title, "text": "### \(message.title)\n" + message.body]]
                : ["msgtype": "text", "text": ["content": message.text]]
            return .init(url: url, headers: jsonHeader, body: json(body))
        case .slack:
            return .init(url: config.url ?? "", headers: jsonHeader, body: json(["text": message.text]))
        case .discord:
            // Discord's content is limited to 2,000 characters.
            return .init(url: config.url ?? "", headers: jsonHeader, body: json(["content": String(message.text.prefix(2000))]))
        case .telegram:
            let body: [String: Any] = ["chat_id": config.chatId ?? "", "text": String(message.text.prefix(4096)), "disable_web_page_preview": true]
            return .init(url: base() + "/bot" + (config.token ?? "") + "/sendMessage", headers: jsonHeader, body: json(body))
        case .ntfy:
            // JSON publishing (POST to the server's root) carries a UTF-8 title, which a header could not.
            var body: [String: Any] = ["topic": config.topic ?? "", "title": message.title, "message": message.body.isEmpty ? message.title : message.body]
            if let priority = config.priority { body["priority"] = min(priority, 5) }
            var headers = jsonHeader
            if let token = config.token, !token.isEmpty { headers.append(("Authorization", "Bearer " + token)) }
            return .init(url: base() + "/", headers: headers, body: json(body))
        case .gotify:
            let body: [String: Any] = ["title": message.title, "message": message.body.isEmpty ? message.title : message.body,
                                       "priority": config.priority ?? 5]
            return .init(url: base() + "/message", headers: jsonHeader + [("X-Gotify-Key", config.token ?? "")], body: json(body))
        case .email:
            throw BuildError(description: "email is not sent over HTTP")
        }
    }

    /// Success as the service reports it.
    func judge(_ answer: OutboundClient.Answer) -> NotifyOutcome {
        let scrubbed = scrub(String(answer.body.prefix(4000)))
        if let failure = answer.transportError {
            return NotifyOutcome(ok: false, status: answer.status, answer: scrubbed, error: scrub(failure))
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any]
        func code(_ name: String) -> Int? { (object?[name] as? NSNumber)?.intValue }
        func text(_ names: String...) -> String { names.compactMap { object?[$0] as? String }.first ?? "" }
        var error: String?
        if !(200..<300).contains(answer.status) {
            error = "HTTP \(answer.status)" + (scrubbed.isEmpty ? "" : ": " + String(scrubbed.prefix(300)))
        } else {
            switch kind {
            case .wecom, .dingtalk:
                if let value = code("errcode"), value != 0 { error = "errcode \(value): \(text("errmsg"))" }
                else if code("errcode") == nil { error = "the answer has no errcode" }
            case .feishu:
                if let value = code("code") ?? code("StatusCode"), value != 0 { error = "code \(value): \(text("msg", "StatusMessage"))" }
                else if code("code") == nil && code("StatusCode") == nil { error = "the answer has no code" }
            case .telegram:
                if object?["ok"] as? Bool != true {
                    error = "error_code \(code("error_code").map(String.init) ?? "?"): \(text("description"))"
                }
            default: break
            }
        }
        return NotifyOutcome(ok: error == nil, status: answer.status, answer: scrubbed, error: error.map(scrub))
    }

    /// `text` without any of the channel's secrets.
    public func scrub(_ text: String) -> String {
        config.secretValues.sorted { $0.count > $1.count }.reduce(text) { $0.replacingOccurrences(of: $1, with: NotifyChannelConfig.mask) }
    }

    static func truncate(_ text: String, bytes limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var result = ""
        var used = 0
        for character in text {
            let size = String(character).utf8.count
            if used + size > limit - 3 { break }
            result.append(character)
            used += size
        }
        return result + "…"
    }

    private func sendMail(_ message: NotifyMessage) async -> NotifyOutcome {
        let security = config.security ?? "starttls"
        let port = config.port ?? (security == "tls" ? 465 : 587)
        let scheme = security == "tls" ? "smtps" : "smtp"
        let request = OutboundClient.SMTPRequest(url: "\(scheme)://\(config.host ?? ""):\(port)", startTLS: security == "starttls",
                                                 verifyTLS: config.tlsVerify ?? true, caPem: config.caPem, username: config.username,
                                                 password: config.password, from: config.from ?? "", to: config.to ?? [],
                                                 message: Array(NotifyMail.compose(message, from: config.from ?? "", to: config.to ?? [], date: now()).utf8))
        let answer = await OutboundClient.send(request)
        if let failure = answer.transportError {
            return NotifyOutcome(ok: false, status: answer.status, answer: "", error: scrub(failure))
        }
        return NotifyOutcome(ok: true, status: answer.status, answer: "SMTP \(answer.status)", error: nil)
    }
}

/// An email with a plain text part and an HTML part (RFC 2045/2047; UTF-8 throughout, base64 parts).
enum NotifyMail {
    static func compose(_ message: NotifyMessage, from: String, to: [String], date: Date) -> String {
        let boundary = "jarvis-" + UUID().uuidString
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let html = "<!doctype html><html><body><h3>\(escape(message.title))</h3><pre style=\"font-family:monospace;white-space:pre-wrap\">"
            + escape(message.body) + "</pre></body></html>"
        func base64Lines(_ text: String) -> String {
            Data(text.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        }
        let domain = from.split(separator: "@").last.map(String.init) ?? "jarvis"
        return [
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
            "Subject: =?UTF-8?B?\(Data(message.title.utf8).base64EncodedString())?=",
            "Date: \(formatter.string(from: date))",
            "Message-ID: <\(UUID().uuidString)@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
            base64Lines(message.text),
            "--\(boundary)",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
            base64Lines(html),
            "--\(boundary)--",
            "",
        ].joined(separator: "\r\n")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
