import Foundation
import JarvisStore

/// A channel as the API shows it: secrets masked, header values hidden.
public struct NotifyChannelView: Encodable, Sendable {
    public let id: Int64
    public let kind: String
    public let name: String
    public let enabled: Bool
    public let config: NotifyChannelConfig
    /// The webhook's custom header names (their values are secret; a map's keys would be re-cased on the way out).
    public let headerNames: [String]
    public let createdAt: String
    public let updatedAt: String
}

/// A delivery as the log shows it.
public struct NotifyDeliveryView: Encodable, Sendable {
    public let id: Int64
    public let createdAt: String
    public let ruleId: Int64?
    public let ruleName: String?
    public let channelId: Int64?
    public let channelName: String
    public let channelKind: String
    public let eventId: Int64?
    public let eventKind: String
    public let target: String
    public let title: String
    public let body: String
    public let repeats: Int
    public let state: String
    public let attempts: Int
    public let nextAttemptAt: String
    public let lastAttemptAt: String?
    public let error: String?
    public let answer: String?

    init(_ record: NotifyDeliveryRecord) {
        id = record.id; createdAt = record.createdAt; ruleId = record.ruleID; ruleName = record.ruleName
        channelId = record.channelID; channelName = record.channelName; channelKind = record.channelKind; eventId = record.eventID
        eventKind = record.eventKind; target = record.target; title = record.title; body = record.body; repeats = record.repeats
        state = record.state; attempts = record.attempts; nextAttemptAt = record.nextAttemptAt; lastAttemptAt = record.lastAttemptAt
        error = record.error; answer = record.answer
    }
}

/// An event as the bell shows it.
public struct NotifyEventView: Encodable, Sendable {
    public let id: Int64
    public let at: String
    public let kind: String
    public let severity: String
    public let host: String?
    public let target: String
    public let summary: String
    public let fields: [String: String]

    init(_ record: NotifyEventRecord) {
        id = record.id; at = record.at; kind = record.kind; severity = record.severity; host = record.hostName
        target = record.target; summary = record.summary; fields = NotifyRule.fields(of: record)
    }
}

/// What a channel save sends.
public struct NotifyChannelInput: Decodable, Sendable {
    public var kind: String
    public var name: String
    public var enabled: Bool?
    public var config: NotifyChannelConfig
}

/// What a rule save sends.
public struct NotifyRuleInput: Decodable, Sendable {
    public var name: String
    public var enabled: Bool?
    public var events: [String]
    public var filters: NotifyFilters?
    public var channels: [Int64]
    public var template: String?
    public var language: String?
    public var throttleSeconds: Int?
}

/// Channels, rules, previews, tests and the logs, for the API (admin for changes, viewers for events).
public struct NotificationService: Sendable {
    let database: AppDatabase
    let secrets: SecretBox

    public init(database: AppDatabase, secrets: SecretBox) {
        self.database = database
        self.secrets = secrets
    }

    static func openConfig(_ record: NotifyChannelRecord, _ secrets: SecretBox) throws -> NotifyChannelConfig {
        try JSONDecoder().decode(NotifyChannelConfig.self, from: Data(try secrets.open(record.sealedConfig).utf8))
    }

    func view(_ record: NotifyChannelRecord) throws -> NotifyChannelView {
        var config = try Self.openConfig(record, secrets).masked
        let names = (config.headers ?? [:]).keys.sorted()
        config.headers = nil
        return NotifyChannelView(id: record.id, kind: record.kind, name: record.name, enabled: record.enabled, config: config,
                                 headerNames: names, createdAt: record.createdAt, updatedAt: record.updatedAt)
    }

    public func channels() throws -> [NotifyChannelView] { try database.notifyChannels().map(view) }

    func record(_ id: Int64) throws -> NotifyChannelRecord {
        guard let record = try database.notifyChannel(id: id) else { throw JarvisError.notFound("no notification channel \(id)") }
        return record
    }

    public func channel(_ id: Int64) throws -> NotifyChannelView { try view(record(id)) }

    func checked(_ input: NotifyChannelInput, config: NotifyChannelConfig) throws -> (NotifyChannelKind, String) {
        guard let kind = NotifyChannelKind(rawValue: input.kind) else {
            throw JarvisError.invalidField("kind", "must be one of \(NotifyChannelKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let name = input.name.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(name.count) else { throw JarvisError.invalidField("name", "must be 1 to 64 characters") }
        if let (field, message) = config.problem(for: kind) { throw JarvisError.invalidField("config." + field, message) }
        return (kind, name)
    }

    func seal(_ config: NotifyChannelConfig) throws -> String {
        try secrets.seal(String(decoding: try JSONEncoder().encode(config), as: UTF8.self))
    }

    public func createChannel(_ input: NotifyChannelInput) throws -> NotifyChannelView {
        let (kind, name) = try checked(input, config: input.config)
        if input.config.secretValues.isEmpty, [input.config.url, input.config.secret, input.config.key, input.config.token,
                                                input.config.password].contains(NotifyChannelConfig.mask) {
            throw JarvisError.invalidField("config", "\(NotifyChannelConfig.mask) stands for a saved secret; a new channel has none")
        }
        try uniqueName(name, except: nil)
        let saved = try database.insertNotifyChannel(NotifyChannelRecord(kind: kind.rawValue, name: name, sealedConfig: try seal(input.config),
                                                                         enabled: input.enabled ?? true))
        return try view(saved)
    }

    public func updateChannel(_ id: Int64, _ input: NotifyChannelInput) throws -> NotifyChannelView {
        var current = try record(id)
        guard input.kind == current.kind else { throw JarvisError.invalidField("kind", "a channel's kind cannot change; create another channel") }
        let merged = NotifyChannelConfig.merge(input.config, keeping: try Self.openConfig(current, secrets))
        let (_, name) = try checked(input, config: merged)
        try uniqueName(name, except: id)
        current.name = name
        current.enabled = input.enabled ?? current.enabled
        current.sealedConfig = try seal(merged)
        try database.updateNotifyChannel(current)
        return try view(try record(id))
    }

    private func uniqueName(_ name: String, except id: Int64?) throws {
        if try database.notifyChannels().contains(where: { $0.name.lowercased() == name.lowercased() && $0.id != id }) {
            throw JarvisError(409, "name_taken", "a channel named \(name) exists").field("name")
        }
    }

    @discardableResult
    public func deleteChannel(_ id: Int64) throws -> NotifyChannelRecord {
        let current = try record(id)
        try database.deleteNotifyChannel(id: id)
        // Rules that named it stop naming it.
        for rule in try database.notifyRules() {
            var view = NotifyRule(rule)
            guard view.channels.contains(id) else { continue }
            view.channels.removeAll { $0 == id }
            var updated = rule
            updated.channels = Self.json(view.channels)
            try database.updateNotifyRule(updated)
        }
        return current
    }

    /// Sends a test message now and returns the service's answer (not queued; logged as a delivery).
    public func testChannel(_ id: Int64, language: String) async throws -> NotifyOutcome {
        let channel = try record(id)
        guard let kind = NotifyChannelKind(rawValue: channel.kind) else { throw JarvisError.notFound("no notification channel \(id)") }
        let event = Self.sampleEvent(.test, language: language)
        let message = NotifyMessage.render(NotifyTemplate.defaultTemplate(language), event: event, language: language, repeats: 0)
        var delivery = NotifyDeliveryRecord(ruleID: nil, ruleName: nil, channelID: channel.id, channelName: channel.name, channelKind: channel.kind,
                                            eventID: nil, eventKind: event.kind, target: event.target, title: message.title, body: message.body,
                                            repeats: 0)
        delivery.id = try database.enqueueNotifyDelivery(delivery)
        // Claimed at once so the background sender does not send it a second time.
        try database.postponeNotifyDelivery(id: delivery.id, until: Date().addingTimeInterval(3600))
        let payload = NotifySender.webhookPayload(message: message, event: event, kind: event.kind, target: event.target, rule: nil,
                                                  deliveryID: delivery.id, repeats: 0)
        let outcome = await NotifySender(kind: kind, config: try Self.openConfig(channel, secrets)).send(message, payload: payload)
        try database.finishNotifyAttempt(id: delivery.id, state: outcome.ok ? "sent" : "failed", error: outcome.error, answer: outcome.answer,
                                         retryAt: nil)
        return outcome
    }

    // MARK: rules

    public func rules() throws -> [NotifyRule] { try database.notifyRules().map(NotifyRule.init) }

    public func rule(_ id: Int64) throws -> NotifyRule {
        guard let record = try database.notifyRule(id: id) else { throw JarvisError.notFound("no notification rule \(id)") }
        return NotifyRule(record)
    }

    static func json<T: Encodable>(_ value: T) -> String { String(decoding: (try? JSONEncoder().encode(value)) ?? Data("null".utf8), as: UTF8.self) }

    func checked(_ input: NotifyRuleInput) throws -> NotifyRuleRecord {
        let name = input.name.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(name.count) else { throw JarvisError.invalidField("name", "must be 1 to 64 characters") }
        guard !input.events.isEmpty else { throw JarvisError.invalidField("events", "name at least one event kind") }
        let known = Set(NotifyEventKind.ruleKinds.map(\.rawValue))
        for kind in input.events where !known.contains(kind) && kind != "*" {
            throw JarvisError.invalidField("events", "unknown event kind \(kind.prefix(64))")
        }
        let channels = Set(try database.notifyChannels().map(\.id))
        guard !input.channels.isEmpty else { throw JarvisError.invalidField("channels", "name at least one channel") }
        for id in input.channels where !channels.contains(id) { throw JarvisError.invalidField("channels", "no channel \(id)") }
        if let template = input.template, let problem = NotifyTemplate(template).validate() {
            throw JarvisError.invalidField("template", problem)
        }
        let language = input.language ?? "en"
        guard ["en", "zh-CN"].contains(language) else { throw JarvisError.invalidField("language", "must be en or zh-CN") }
        let throttle = input.throttleSeconds ?? 600
        guard (0...86400).contains(throttle) else { throw JarvisError.invalidField("throttle_seconds", "must be 0...86400") }
        let filters = input.filters ?? NotifyFilters()
        if let least = filters.minSeverity, !NotifySeverity.ordered.contains(least) {
            throw JarvisError.invalidField("filters.min_severity", "must be info, warning or critical")
        }
        if let glob = filters.container, glob.count > 256 { throw JarvisError.invalidField("filters.container", "is longer than 256 characters") }
        let template = input.template.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        return NotifyRuleRecord(name: name, enabled: input.enabled ?? true, events: Self.json(Array(Set(input.events)).sorted()),
                                filters: Self.json(filters), channels: Self.json(Array(Set(input.channels)).sorted()), template: template,
                                language: language, throttleSeconds: throttle)
    }

    public func createRule(_ input: NotifyRuleInput) throws -> NotifyRule {
        let record = try checked(input)
        if try database.notifyRules().contains(where: { $0.name.lowercased() == record.name.lowercased() }) {
            throw JarvisError(409, "name_taken", "a rule named \(record.name) exists").field("name")
        }
        return NotifyRule(try database.insertNotifyRule(record))
    }

    public func updateRule(_ id: Int64, _ input: NotifyRuleInput) throws -> NotifyRule {
        _ = try rule(id)
        var record = try checked(input)
        if try database.notifyRules().contains(where: { $0.name.lowercased() == record.name.lowercased() && $0.id != id }) {
            throw JarvisError(409, "name_taken", "a rule named \(record.name) exists").field("name")
        }
        record.id = id
        try database.updateNotifyRule(record)
        return try rule(id)
    }

    @discardableResult
    public func deleteRule(_ id: Int64) throws -> NotifyRule {
        let current = try rule(id)
        try database.deleteNotifyRule(id: id)
        return current
    }

    /// The message a template makes of a sample event of `kind`.
    public func preview(template: String?, language: String, kind: String) throws -> NotifyMessage {
        guard let eventKind = NotifyEventKind(rawValue: kind) else { throw JarvisError.invalidField("kind", "unknown event kind \(kind.prefix(64))") }
        guard ["en", "zh-CN"].contains(language) else { throw JarvisError.invalidField("language", "must be en or zh-CN") }
        let chosen = template.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : NotifyTemplate($0) }
            ?? NotifyTemplate.defaultTemplate(language)
        if let problem = chosen.validate() { throw JarvisError.invalidField("template", problem) }
        return NotifyMessage.render(chosen, event: Self.sampleEvent(eventKind, language: language), language: language, repeats: 2)
    }

    /// A made-up event with typical fields, for previews and tests.
    public static func sampleEvent(_ kind: NotifyEventKind, language: String) -> NotifyEventRecord {
        var fields: [String: String] = [:]
        var target = "web-1"
        var summary = language.hasPrefix("zh") ? "这是一条示例消息。" : "This is a sample message."
        switch kind {
        case .containerDied:
            fields = ["container": "web-1", "exit_code": "3", "image": "example/web:1.4", "logs": "connecting to db:5432\nfatal: connection refused"]
            summary = "web-1 exited with code 3"
        case .containerOOM: fields = ["container": "web-1", "exit_code": "137", "memory_limit": "64 MiB"]; summary = "web-1 was killed: out of memory"
        case .containerUnhealthy: fields = ["container": "web-1", "health_output": "curl: (7) Failed to connect to localhost port 8080"]; summary = "web-1 is unhealthy"
        case .containerRestartLoop: fields = ["container": "web-1", "restarts": "5", "minutes": "5"]; summary = "web-1 restarted 5 times in 5 minutes"
        case .hostOffline: target = "edge-2"; fields = ["error": "connection refused"]; summary = "edge-2 stopped answering"
        case .hostOnline: target = "edge-2"; summary = "edge-2 answers again"
        case .taskFailed: target = "image.pull"; fields = ["task": "6f1c…", "error": "manifest unknown"]; summary = "Pull example/web:9 failed"
        case .loginLockout: target = "admin"; fields = ["ip": "203.0.113.7"]; summary = "admin: too many failed logins from 203.0.113.7"
        case .adminCreated: target = "alice"; fields = ["by": "admin"]; summary = "alice was made an admin by admin"
        case .jobFailed, .jobTimedOut, .jobRecovered:
            target = "nightly-pull"
            fields = ["job": "nightly-pull", "job_kind": "image.pull", "attempt": "3", "error": "manifest unknown"]
            summary = kind == .jobRecovered ? "nightly-pull succeeded after failing" : "nightly-pull failed on attempt 3: manifest unknown"
        case .hostCertificateExpiring:
            target = "edge-2"; fields = ["expires_at": "2026-01-15T00:00:00Z", "days_left": "9", "certificate": "client"]
            summary = "edge-2: the TLS client certificate expires in 9 days (2026-01-15T00:00:00Z)"
        case .hostDiskUsage:
            target = "edge-2"; fields = ["total_bytes": "64424509440", "threshold_bytes": "53687091200", "images_bytes": "42949672960",
                                         "containers_bytes": "1073741824", "volumes_bytes": "17179869184", "build_cache_bytes": "3221225472"]
            summary = "edge-2 uses 60.0 GiB for images, containers, volumes and build cache (threshold 50.0 GiB)"
        case .auditChainBroken:
            target = "audit_logs"; fields = ["first_bad_id": "1042", "reason": "hash mismatch", "rows_checked": "5310"]
            summary = "The audit chain does not verify from row 1042: hash mismatch"
        case .imageUpdateAvailable, .imageUpdated, .imageUpdateRolledBack, .imageUpdateFailed:
            fields = ["container": "web-1", "from_image": "example/web:1.4", "to_image": "example/web:1.4", "by": "admin", "by_policy": "false"]
            switch kind {
            case .imageUpdateAvailable: fields["available_digest"] = "sha256:4f1c…"; summary = "web-1: example/web:1.4 has a new image"
            case .imageUpdated: summary = "web-1 now runs example/web:1.4"
            default: fields["reason"] = "the new container is unhealthy"; summary = "web-1 was not updated to example/web:1.4: the new container is unhealthy"
            }
        case .test: target = "Jarvis"
        }
        fields["summary"] = summary
        var event = NotifyEventRecord(kind: kind.rawValue, severity: kind.severity, hostID: 1, hostName: "local", target: target, summary: summary,
                                      fields: json(fields))
        event.id = 0
        return event
    }

    // MARK: logs

    public func deliveries(_ filter: NotifyDeliveryFilter, page: Int, pageSize: Int) throws -> Page<NotifyDeliveryView> {
        let result = try database.notifyDeliveries(filter, limit: pageSize, offset: (page - 1) * pageSize)
        return Page(items: result.items.map(NotifyDeliveryView.init), total: result.total, page: page, pageSize: pageSize)
    }

    public func events(limit: Int, afterID: Int64?, kind: NotifyEventKind? = nil) throws -> [NotifyEventView] {
        try database.recentNotifyEvents(limit: limit, afterID: afterID, kind: kind?.rawValue).map(NotifyEventView.init)
    }
}
