import JarvisCore
import JarvisStore

/// `/api/v1/notifications/…`: channels and rules (admin), the delivery log (admin), events for the bell (viewers).
enum NotificationRoutes {
    struct TestBody: Decodable { let language: String? }
    struct PreviewBody: Decodable { let template: String?; let language: String?; let kind: String? }

    static func id(_ context: RequestContext, _ what: String) throws -> Int64 {
        guard let id = Int64(context.parameter("id")), id > 0 else { throw JarvisError.notFound("no notification \(what) \(context.parameter("id").prefix(32))") }
        return id
    }

    static func routes(_ environment: JarvisEnvironment) -> [Route] {
        let service: NotificationService
        do { service = try NotificationService.make(environment) } catch {
            preconditionFailure("the secrets key cannot be read: \(error)")
        }
        let base = "/api/v1/notifications"
        return [
            Route("GET", base + "/channels", access: .role(.admin)) { _ in
                let items = try service.channels()
                return try .json(Page(items: items, total: items.count, page: 1, pageSize: max(items.count, 1)))
            },
            Route("POST", base + "/channels", access: .role(.admin), audit: "notify.channel_create") { context in
                let body = try context.decode(NotifyChannelInput.self)
                context.audit = AuditEvent(action: "notify.channel_create", resourceType: "notify_channel", resourceName: String(body.name.prefix(64)),
                                           params: ["kind": String(body.kind.prefix(32))])
                let saved = try service.createChannel(body)
                context.audit?.resourceID = String(saved.id)
                return try .json(saved, status: 201)
            },
            Route("GET", base + "/channels/{id}", access: .role(.admin)) { context in
                try .json(try service.channel(try id(context, "channel")))
            },
            Route("PUT", base + "/channels/{id}", access: .role(.admin), audit: "notify.channel_update") { context in
                let channelID = try id(context, "channel")
                context.audit = AuditEvent(action: "notify.channel_update", resourceType: "notify_channel", resourceID: String(channelID))
                let body = try context.decode(NotifyChannelInput.self)
                let saved = try service.updateChannel(channelID, body)
                context.audit?.resourceName = saved.name
                context.audit?.params = ["kind": saved.kind, "enabled": String(saved.enabled)]
                return try .json(saved)
            },
            Route("DELETE", base + "/channels/{id}", access: .role(.admin), audit: "notify.channel_delete", readsBody: false) { context in
                let channelID = try id(context, "channel")
                context.audit = AuditEvent(action: "notify.channel_delete", resourceType: "notify_channel", resourceID: String(channelID))
                let removed = try service.deleteChannel(channelID)
                context.audit?.resourceName = removed.name
                return .noContent()
            },
            Route("POST", base + "/channels/{id}/test", access: .role(.admin), audit: "notify.channel_test", long: true) { context in
                let channelID = try id(context, "channel")
                context.audit = AuditEvent(action: "notify.channel_test", resourceType: "notify_channel", resourceID: String(channelID))
                let body = context.request.body.isEmpty ? TestBody(language: nil) : try context.decode(TestBody.self)
                let language = body.language ?? "en"
                guard ["en", "zh-CN"].contains(language) else { throw JarvisError.invalidField("language", "must be en or zh-CN") }
                context.audit?.resourceName = try service.channel(channelID).name
                let outcome = try await service.testChannel(channelID, language: language)
                context.audit?.params = ["ok": String(outcome.ok)]
                return try .json(outcome)
            },
            Route("GET", base + "/rules", access: .role(.admin)) { _ in
                let items = try service.rules()
                return try .json(Page(items: items, total: items.count, page: 1, pageSize: max(items.count, 1)))
            },
            Route("POST", base + "/rules", access: .role(.admin), audit: "notify.rule_create") { context in
                let body = try context.decode(NotifyRuleInput.self)
                context.audit = AuditEvent(action: "notify.rule_create", resourceType: "notify_rule", resourceName: String(body.name.prefix(64)),
                                           params: ["events": body.events.prefix(20).joined(separator: ",")])
                let saved = try service.createRule(body)
                context.audit?.resourceID = String(saved.id)
                return try .json(saved, status: 201)
            },
            Route("POST", base + "/rules/preview", access: .role(.admin)) { context in
                let body = try context.decode(PreviewBody.self)
                let message = try service.preview(template: body.template, language: body.language ?? "en",
                                                  kind: body.kind ?? NotifyEventKind.containerDied.rawValue)
                return try .json(["title": message.title, "body": message.body, "text": message.text])
            },
            Route("GET", base + "/rules/{id}", access: .role(.admin)) { context in
                try .json(try service.rule(try id(context, "rule")))
            },
            Route("PUT", base + "/rules/{id}", access: .role(.admin), audit: "notify.rule_update") { context in
                let ruleID = try id(context, "rule")
                context.audit = AuditEvent(action: "notify.rule_update", resourceType: "notify_rule", resourceID: String(ruleID))
                let body = try context.decode(NotifyRuleInput.self)
                let saved = try service.updateRule(ruleID, body)
                context.audit?.resourceName = saved.name
                context.audit?.params = ["events": saved.events.joined(separator: ","), "enabled": String(saved.enabled)]
                return try .json(saved)
            },
            Route("DELETE", base + "/rules/{id}", access: .role(.admin), audit: "notify.rule_delete", readsBody: false) { context in
                let ruleID = try id(context, "rule")
                context.audit = AuditEvent(action: "notify.rule_delete", resourceType: "notify_rule", resourceID: String(ruleID))
                context.audit?.resourceName = try service.deleteRule(ruleID).name
                return .noContent()
            },
            Route("GET", base + "/deliveries", access: .role(.admin)) { context in
                let query = context.request.query
                var filter = NotifyDeliveryFilter()
                if let state = query["state"], !state.isEmpty {
                    guard ["queued", "sending", "sent", "failed"].contains(state) else {
                        throw JarvisError.invalidField("state", "must be queued, sending, sent or failed")
                    }
                    filter.state = state
                }
                if let text = query["channel_id"], !text.isEmpty {
                    guard let value = Int64(text) else { throw JarvisError.invalidField("channel_id", "must be a channel id") }
                    filter.channelID = value
                }
                if let text = query["rule_id"], !text.isEmpty {
                    guard let value = Int64(text) else { throw JarvisError.invalidField("rule_id", "must be a rule id") }
                    filter.ruleID = value
                }
                if let kind = query["event_kind"], !kind.isEmpty { filter.eventKind = String(kind.prefix(64)) }
                let page = try context.intQuery("page", default: 1, range: 1...100_000)
                let size = try context.intQuery("page_size", default: 50, range: 1...500)
                return try .json(try service.deliveries(filter, page: page, pageSize: size))
            },
            Route("GET", base + "/events", access: .role(.viewer)) { context in
                let limit = try context.intQuery("limit", default: 20, range: 1...200)
                let after = try context.intQuery("after", default: 0, range: 0...Int(Int32.max))
                var kind: NotifyEventKind?
                if let name = context.request.query["kind"], !name.isEmpty {
                    guard let known = NotifyEventKind(rawValue: name) else {
                        throw JarvisError.invalidField("kind", "unknown event kind \"\(name.prefix(64))\"")
                    }
                    kind = known
                }
                let items = try service.events(limit: limit, afterID: after > 0 ? Int64(after) : nil, kind: kind)
                return try .json(["items": items])
            },
        ]
    }
}
