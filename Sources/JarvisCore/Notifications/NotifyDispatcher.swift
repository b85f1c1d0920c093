import Foundation
import JarvisStore
import Logging

/// Turns stored events into deliveries (rule matching, throttling, rendering) and sends the due
/// ones with retries, backoff and per-channel rate limits. jarvis-sse runs `run()`; on a shared
/// host `jarvisctl notify flush` calls `flush()` from cron.
public final class NotifyDispatcher: Sendable {
    let database: AppDatabase
    let secrets: SecretBox
    let logger: Logger
    /// Attempts before a delivery is logged failed.
    public let maxAttempts: Int
    /// The first retry waits this long; each next one four times longer.
    public let retryBaseSeconds: Double

    public init(database: AppDatabase, secrets: SecretBox, logger: Logger, maxAttempts: Int = 5, retryBaseSeconds: Double = 30) {
        self.database = database
        self.secrets = secrets
        self.logger = logger
        self.maxAttempts = maxAttempts
        self.retryBaseSeconds = retryBaseSeconds
    }

    /// Routes and sends every second until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await flush()
            try? await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }

    /// One round: new events into deliveries, then every due delivery sent. Returns (routed events, attempts).
    @discardableResult
    public func flush() async -> (events: Int, attempts: Int) {
        var routed = 0
        do { routed = try route() } catch { logger.error("notification routing failed", metadata: ["error": "\(error)"]) }
        var attempts = 0
        do {
            let due = try database.claimDueNotifyDeliveries()
            for delivery in due { if await deliver(delivery) { attempts += 1 } }
        } catch {
            logger.error("notification delivery round failed", metadata: ["error": "\(error)"])
        }
        return (routed, attempts)
    }

    /// Matches new events against the rules and queues one delivery per rule and channel (or counts a repeat).
    func route() throws -> Int {
        let events = try database.claimUnroutedNotifyEvents()
        guard !events.isEmpty else { return 0 }
        let rules = try database.notifyRules().map(NotifyRule.init).filter(\.enabled)
        let channels = Dictionary(uniqueKeysWithValues: try database.notifyChannels().map { ($0.id, $0) })
        for event in events {
            for rule in rules where rule.matches(event) {
                let gate = try database.notifyThrottle(ruleID: rule.id, kind: event.kind, target: Self.throttleTarget(event),
                                                       window: rule.throttleSeconds)
                guard gate.send else { continue }
                let message = NotifyMessage.render(rule.effectiveTemplate, event: event, language: rule.language, repeats: gate.repeats)
                for id in rule.channels {
                    guard let channel = channels[id], channel.enabled else { continue }
                    try database.enqueueNotifyDelivery(NotifyDeliveryRecord(
                        ruleID: rule.id, ruleName: rule.name, channelID: channel.id, channelName: channel.name, channelKind: channel.kind,
                        eventID: event.id, eventKind: event.kind, target: event.target, title: message.title, body: message.body,
                        repeats: gate.repeats))
                }
            }
        }
        return events.count
    }

    /// The same event on the same target on another host is another target.
    static func throttleTarget(_ event: NotifyEventRecord) -> String { (event.hostName ?? "") + "/" + event.target }

    /// Sends one claimed delivery; false when it was postponed by the channel's rate limit.
    func deliver(_ delivery: NotifyDeliveryRecord) async -> Bool {
        guard let id = delivery.channelID, let channel = try? database.notifyChannel(id: id),
              let kind = NotifyChannelKind(rawValue: channel.kind) else {
            try? database.finishNotifyAttempt(id: delivery.id, state: "failed", error: "the channel was removed", answer: nil, retryAt: nil)
            return true
        }
        if let limit = kind.perMinute, let used = try? database.notifyAttempts(channelID: id, since: Date().addingTimeInterval(-60)),
           used > limit {  // this claim itself counts as one
            try? database.postponeNotifyDelivery(id: delivery.id, until: Date().addingTimeInterval(5))
            return false
        }
        let config: NotifyChannelConfig
        do { config = try NotificationService.openConfig(channel, secrets) } catch {
            try? database.finishNotifyAttempt(id: delivery.id, state: "failed", error: "the channel's configuration cannot be opened",
                                              answer: nil, retryAt: nil)
            return true
        }
        let message = NotifyMessage(title: delivery.title, body: delivery.body)
        let event = delivery.eventID.flatMap { try? database.notifyEvent(id: $0) }
        let payload = NotifySender.webhookPayload(message: message, event: event, kind: delivery.eventKind, target: delivery.target,
                                                  rule: delivery.ruleID.map { ($0, delivery.ruleName ?? "") }, deliveryID: delivery.id,
                                                  repeats: delivery.repeats)
        let outcome = await NotifySender(kind: kind, config: config).send(message, payload: payload)
        let attempt = delivery.attempts + 1
        let state: String
        var retryAt: Date?
        if outcome.ok {
            state = "sent"
        } else if attempt >= maxAttempts {
            state = "failed"
        } else {
            state = "queued"
            retryAt = Date().addingTimeInterval(retryBaseSeconds * pow(4, Double(attempt - 1)))
        }
        do {
            try database.finishNotifyAttempt(id: delivery.id, state: state, error: outcome.error, answer: outcome.answer, retryAt: retryAt)
        } catch {
            logger.error("notification attempt not stored", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
        }
        if !outcome.ok {
            logger.warning("notification not delivered", metadata: ["delivery": "\(delivery.id)", "channel": "\(channel.name)",
                                                                    "attempt": "\(attempt)", "error": "\(outcome.error ?? "-")"])
        }
        return true
    }
}

extension NotifyDispatcher {
    /// The dispatcher with the installation's secret key and retry settings.
    public static func make(_ environment: JarvisEnvironment, logger: Logger) throws -> NotifyDispatcher {
        NotifyDispatcher(database: environment.database, secrets: try SecretBox.load(dataDir: environment.config.dataDir), logger: logger,
                         maxAttempts: environment.config.notifyMaxAttempts, retryBaseSeconds: Double(environment.config.notifyRetrySeconds))
    }
}

extension NotificationService {
    /// The service with the installation's secret key.
    public static func make(_ environment: JarvisEnvironment) throws -> NotificationService {
        NotificationService(database: environment.database, secrets: try SecretBox.load(dataDir: environment.config.dataDir))
    }
}
