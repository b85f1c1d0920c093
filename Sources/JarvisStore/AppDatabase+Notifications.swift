import Foundation
import GRDB

/// A notification channel (`notify_channels`); `sealedConfig` is the AES-GCM sealed JSON of its settings.
public struct NotifyChannelRecord: Sendable, Equatable {
    public var id: Int64 = 0
    public var kind: String
    public var name: String
    public var sealedConfig: String
    public var enabled: Bool
    public var createdAt: String
    public var updatedAt: String

    public init(kind: String, name: String, sealedConfig: String, enabled: Bool) {
        self.kind = kind
        self.name = name
        self.sealedConfig = sealedConfig
        self.enabled = enabled
        createdAt = Timestamp.string()
        updatedAt = createdAt
    }

    init(row: Row) {
        id = row["id"]; kind = row["kind"]; name = row["name"]; sealedConfig = row["sealed_config"]
        enabled = row["enabled"]; createdAt = row["created_at"]; updatedAt = row["updated_at"]
    }
}

/// A notification rule (`notify_rules`): `events`, `filters` and `channels` are JSON text.
public struct NotifyRuleRecord: Sendable, Equatable {
    public var id: Int64 = 0
    public var name: String
    public var enabled: Bool
    public var events: String
    public var filters: String
    public var channels: String
    public var template: String?
    public var language: String
    public var throttleSeconds: Int
    public var createdAt: String
    public var updatedAt: String

    public init(name: String, enabled: Bool, events: String, filters: String, channels: String, template: String?,
                language: String, throttleSeconds: Int) {
        self.name = name; self.enabled = enabled; self.events = events; self.filters = filters; self.channels = channels
        self.template = template; self.language = language; self.throttleSeconds = throttleSeconds
        createdAt = Timestamp.string()
        updatedAt = createdAt
    }

    init(row: Row) {
        id = row["id"]; name = row["name"]; enabled = row["enabled"]; events = row["events"]; filters = row["filters"]
        channels = row["channels"]; template = row["template"]; language = row["language"]
        throttleSeconds = row["throttle_seconds"]; createdAt = row["created_at"]; updatedAt = row["updated_at"]
    }
}

/// Something worth a message (`notify_events`); `fields` is JSON text of the event's template fields.
public struct NotifyEventRecord: Sendable, Equatable {
    public var id: Int64 = 0
    public var at: String
    public var kind: String
    public var severity: String
    public var hostID: Int64?
    public var hostName: String?
    public var target: String
    public var summary: String
    public var fields: String
    public var routedAt: String?

    public init(kind: String, severity: String, hostID: Int64?, hostName: String?, target: String, summary: String, fields: String) {
        at = Timestamp.string()
        self.kind = kind; self.severity = severity; self.hostID = hostID; self.hostName = hostName
        self.target = target; self.summary = summary; self.fields = fields
    }

    init(row: Row) {
        id = row["id"]; at = row["at"]; kind = row["kind"]; severity = row["severity"]; hostID = row["host_id"]
        hostName = row["host_name"]; target = row["target"]; summary = row["summary"]; fields = row["fields"]
        routedAt = row["routed_at"]
    }
}

/// One message for one channel (`notify_deliveries`): the queue while `queued`/`sending`, the log after.
public struct NotifyDeliveryRecord: Sendable, Equatable {
    public var id: Int64 = 0
    public var createdAt: String
    public var ruleID: Int64?
    public var ruleName: String?
    public var channelID: Int64?
    public var channelName: String
    public var channelKind: String
    public var eventID: Int64?
    public var eventKind: String
    public var target: String
    public var title: String
    public var body: String
    public var repeats: Int
    public var state: String
    public var attempts: Int
    public var nextAttemptAt: String
    public var lastAttemptAt: String?
    public var error: String?
    public var answer: String?

    public init(ruleID: Int64?, ruleName: String?, channelID: Int64, channelName: String, channelKind: String, eventID: Int64?,
                eventKind: String, target: String, title: String, body: String, repeats: Int) {
        createdAt = Timestamp.string()
        self.ruleID = ruleID; self.ruleName = ruleName; self.channelID = channelID; self.channelName = channelName
        self.channelKind = channelKind; self.eventID = eventID; self.eventKind = eventKind; self.target = target
        self.title = title; self.body = body; self.repeats = repeats
        state = "queued"; attempts = 0; nextAttemptAt = createdAt
    }

    init(row: Row) {
        id = row["id"]; createdAt = row["created_at"]; ruleID = row["rule_id"]; ruleName = row["rule_name"]
        channelID = row["channel_id"]; channelName = row["channel_name"]; channelKind = row["channel_kind"]
        eventID = row["event_id"]; eventKind = row["event_kind"]; target = row["target"]; title = row["title"]
        body = row["body"]; repeats = row["repeats"]; state = row["state"]; attempts = row["attempts"]
        nextAttemptAt = row["next_attempt_at"]; lastAttemptAt = row["last_attempt_at"]; error = row["error"]; answer = row["answer"]
    }
}

/// Filters of the delivery log.
public struct NotifyDeliveryFilter: Sendable {
    public var state: String?
    public var channelID: Int64?
    public var ruleID: Int64?
    public var eventKind: String?
    public init(state: String? = nil, channelID: Int64? = nil, ruleID: Int64? = nil, eventKind: String? = nil) {
        self.state = state; self.channelID = channelID; self.ruleID = ruleID; self.eventKind = eventKind
    }
}

extension AppDatabase {
    // MARK: channels

    public func notifyChannels() throws -> [NotifyChannelRecord] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM notify_channels ORDER BY id").map(NotifyChannelRecord.init) }
    }

    public func notifyChannel(id: Int64) throws -> NotifyChannelRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM notify_channels WHERE id = ?", arguments: [id]).map(NotifyChannelRecord.init) }
    }

    public func insertNotifyChannel(_ channel: NotifyChannelRecord) throws -> NotifyChannelRecord {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO notify_channels (kind, name, sealed_config, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [channel.kind, channel.name, channel.sealedConfig, channel.enabled, channel.createdAt, channel.updatedAt])
            var saved = channel
            saved.id = db.lastInsertedRowID
            return saved
        }
    }

    public func updateNotifyChannel(_ channel: NotifyChannelRecord) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE notify_channels SET name = ?, sealed_config = ?, enabled = ?, updated_at = ? WHERE id = ?",
                           arguments: [channel.name, channel.sealedConfig, channel.enabled, Timestamp.string(), channel.id])
        }
    }

    public func deleteNotifyChannel(id: Int64) throws {
        try pool.write { db in try db.execute(sql: "DELETE FROM notify_channels WHERE id = ?", arguments: [id]) }
    }

    // MARK: rules

    public func notifyRules() throws -> [NotifyRuleRecord] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM notify_rules ORDER BY id").map(NotifyRuleRecord.init) }
    }

    public func notifyRule(id: Int64) throws -> NotifyRuleRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM notify_rules WHERE id = ?", arguments: [id]).map(NotifyRuleRecord.init) }
    }

    public func insertNotifyRule(_ rule: NotifyRuleRecord) throws -> NotifyRuleRecord {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO notify_rules (name, enabled, events, filters, channels, template, language, throttle_seconds, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [rule.name, rule.enabled, rule.events, rule.filters, rule.channels, rule.template, rule.language,
                                 rule.throttleSeconds, rule.createdAt, rule.updatedAt])
            var saved = rule
            saved.id = db.lastInsertedRowID
            return saved
        }
    }

    public func updateNotifyRule(_ rule: NotifyRuleRecord) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE notify_rules SET name = ?, enabled = ?, events = ?, filters = ?, channels = ?, template = ?, language = ?,
                throttle_seconds = ?, updated_at = ? WHERE id = ?
                """, arguments: [rule.name, rule.enabled, rule.events, rule.filters, rule.channels, rule.template, rule.language,
                                 rule.throttleSeconds, Timestamp.string(), rule.id])
        }
    }

    public func deleteNotifyRule(id: Int64) throws {
        try pool.write { db in try db.execute(sql: "DELETE FROM notify_rules WHERE id = ?", arguments: [id]) }
    }

    // MARK: events

    /// One insert and nothing else: event sources call this and go on.
    @discardableResult
    public func recordNotifyEvent(_ event: NotifyEventRecord) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO notify_events (at, kind, severity, host_id, host_name, target, summary, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [event.at, event.kind, event.severity, event.hostID, event.hostName, event.target, event.summary, event.fields])
            // The bell shows recent events; older ones are kept up to this many.
            try db.execute(sql: "DELETE FROM notify_events WHERE id <= (SELECT MAX(id) FROM notify_events) - 5000 AND routed_at IS NOT NULL")
            return db.lastInsertedRowID
        }
    }

    /// Claims events no router has looked at yet (marked routed in the same transaction, so two routers never share one).
    public func claimUnroutedNotifyEvents(limit: Int = 200) throws -> [NotifyEventRecord] {
        try pool.write { db in
            let events = try Row.fetchAll(db, sql: "SELECT * FROM notify_events WHERE routed_at IS NULL ORDER BY id LIMIT ?",
                                          arguments: [limit]).map(NotifyEventRecord.init)
            if let last = events.last?.id {
                try db.execute(sql: "UPDATE notify_events SET routed_at = ? WHERE routed_at IS NULL AND id <= ?",
                               arguments: [Timestamp.string(), last])
            }
            return events
        }
    }

    /// The newest events first, optionally only those after `afterID`.
    public func recentNotifyEvents(limit: Int, afterID: Int64? = nil, kind: String? = nil,
                                   hostIDs: [Int64]? = nil) throws -> [NotifyEventRecord] {
        try pool.read { db in
            var sql = "SELECT * FROM notify_events WHERE id > ?"
            var arguments: StatementArguments = [afterID ?? 0]
            if let kind {
                sql += " AND kind = ?"
                _ = arguments.append(contentsOf: [kind])
            }
            if let hostIDs {
                sql += " AND (host_id IS NULL OR host_id IN (\(hostIDs.map { _ in "?" }.joined(separator: ","))))"
                for id in hostIDs { _ = arguments.append(contentsOf: [id]) }
            }
            sql += " ORDER BY id DESC LIMIT ?"
            _ = arguments.append(contentsOf: [limit])
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(NotifyEventRecord.init)
        }
    }

    // MARK: throttle

    /// Whether a rule may send for (kind, target) now: true at most once per `window` seconds. A refused
    /// event is counted; an allowed one returns how many were refused since the last one sent.
    public func notifyThrottle(ruleID: Int64, kind: String, target: String, window: Int, now: Date = Date()) throws -> (send: Bool, repeats: Int) {
        try pool.write { db in
            let row = try Row.fetchOne(db, sql: "SELECT last_sent_at, suppressed FROM notify_throttle WHERE rule_id = ? AND kind = ? AND target = ?",
                                       arguments: [ruleID, kind, target])
            if let row, let last = Timestamp.date(row["last_sent_at"]), now.timeIntervalSince(last) < Double(window) {
                try db.execute(sql: "UPDATE notify_throttle SET suppressed = suppressed + 1 WHERE rule_id = ? AND kind = ? AND target = ?",
                               arguments: [ruleID, kind, target])
                return (false, 0)
            }
            let repeats: Int = row?["suppressed"] ?? 0
            try db.execute(sql: """
                INSERT INTO notify_throttle (rule_id, kind, target, last_sent_at, suppressed) VALUES (?, ?, ?, ?, 0)
                ON CONFLICT (rule_id, kind, target) DO UPDATE SET last_sent_at = excluded.last_sent_at, suppressed = 0
                """, arguments: [ruleID, kind, target, Timestamp.string(now)])
            return (true, repeats)
        }
    }

    // MARK: deliveries

    @discardableResult
    public func enqueueNotifyDelivery(_ delivery: NotifyDeliveryRecord) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO notify_deliveries (created_at, rule_id, rule_name, channel_id, channel_name, channel_kind, event_id, event_kind,
                target, title, body, repeats, state, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?)
                """, arguments: [delivery.createdAt, delivery.ruleID, delivery.ruleName, delivery.channelID, delivery.channelName,
                                 delivery.channelKind, delivery.eventID, delivery.eventKind, delivery.target, delivery.title,
                                 delivery.body, delivery.repeats, delivery.nextAttemptAt])
            return db.lastInsertedRowID
        }
    }

    /// Takes queued deliveries that are due (and `sending` ones left by a sender that stopped for over
    /// `staleSeconds`), marking them `sending` in the same transaction.
    public func claimDueNotifyDeliveries(now: Date = Date(), limit: Int = 50, staleSeconds: Double = 300) throws -> [NotifyDeliveryRecord] {
        try pool.write { db in
            let stale = Timestamp.string(now.addingTimeInterval(-staleSeconds))
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM notify_deliveries WHERE (state = 'queued' AND next_attempt_at <= ?)
                OR (state = 'sending' AND last_attempt_at <= ?) ORDER BY next_attempt_at, id LIMIT ?
                """, arguments: [Timestamp.string(now), stale, limit]).map(NotifyDeliveryRecord.init)
            for row in rows {
                try db.execute(sql: "UPDATE notify_deliveries SET state = 'sending', last_attempt_at = ? WHERE id = ?",
                               arguments: [Timestamp.string(now), row.id])
            }
            return rows
        }
    }

    /// Puts a claimed delivery back without counting an attempt (a channel's rate limit was reached).
    public func postponeNotifyDelivery(id: Int64, until: Date) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE notify_deliveries SET state = 'queued', next_attempt_at = ? WHERE id = ?",
                           arguments: [Timestamp.string(until), id])
        }
    }

    /// Records one attempt: `sent`, `failed` for good, or `queued` again at `retryAt`.
    public func finishNotifyAttempt(id: Int64, state: String, error: String?, answer: String?, retryAt: Date?) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE notify_deliveries SET state = ?, attempts = attempts + 1, last_attempt_at = ?, error = ?, answer = ?,
                next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ?
                """, arguments: [state, Timestamp.string(), error, answer, retryAt.map { Timestamp.string($0) }, id])
        }
    }

    /// Attempts made to a channel since `since` (its rate limit).
    public func notifyAttempts(channelID: Int64, since: Date) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM notify_deliveries WHERE channel_id = ? AND last_attempt_at >= ? AND state != 'queued'
                """, arguments: [channelID, Timestamp.string(since)]) ?? 0
        }
    }

    public func notifyDelivery(id: Int64) throws -> NotifyDeliveryRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM notify_deliveries WHERE id = ?", arguments: [id]).map(NotifyDeliveryRecord.init) }
    }

    /// The delivery log, newest first, with the total for paging.
    public func notifyDeliveries(_ filter: NotifyDeliveryFilter, limit: Int, offset: Int) throws -> (items: [NotifyDeliveryRecord], total: Int) {
        try pool.read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let state = filter.state { clauses.append("state = ?"); _ = arguments.append(contentsOf: [state]) }
            if let id = filter.channelID { clauses.append("channel_id = ?"); _ = arguments.append(contentsOf: [id]) }
            if let id = filter.ruleID { clauses.append("rule_id = ?"); _ = arguments.append(contentsOf: [id]) }
            if let kind = filter.eventKind { clauses.append("event_kind = ?"); _ = arguments.append(contentsOf: [kind]) }
            let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notify_deliveries" + whereSQL, arguments: arguments) ?? 0
            var page = arguments
            _ = page.append(contentsOf: [limit, offset])
            let items = try Row.fetchAll(db, sql: "SELECT * FROM notify_deliveries\(whereSQL) ORDER BY id DESC LIMIT ? OFFSET ?",
                                         arguments: page).map(NotifyDeliveryRecord.init)
            return (items, total)
        }
    }
}

extension AppDatabase {
    public func notifyEvent(id: Int64) throws -> NotifyEventRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM notify_events WHERE id = ?", arguments: [id]).map(NotifyEventRecord.init) }
    }
}
