import Foundation
@testable import JarvisCore
import JarvisStore
import XCTest

/// Signatures (vectors computed with Python's hmac), the template language, rule matching and throttling.
final class NotificationTests: XCTestCase {
    private var dir = ""
    private var database: AppDatabase!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "jarvis-notify-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        database = try AppDatabase(path: dir + "/jarvis.db")
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    // python3: base64.b64encode(hmac.new(b"1599360473\ndemo-secret", b"", sha256).digest())
    func testFeishuSignatureKeysTheHMACWithTimestampAndSecretOverAnEmptyMessage() {
        XCTAssertEqual(NotifySignatures.feishu(timestamp: 1_599_360_473, secret: "demo-secret"), "3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s=")
    }

    // python3: quote_plus(b64encode(hmac.new(b"SECabc123", b"1700000000123\nSECabc123", sha256).digest()))
    func testDingTalkSignatureIsURLEncodedBase64OfTheHMACOverTimestampAndSecret() {
        XCTAssertEqual(NotifySignatures.dingtalk(timestampMillis: 1_700_000_000_123, secret: "SECabc123"),
                       "etIBQNvdgq9e1O4P4gRnRS05m9vXVgr6%2F5xt3Azj2s8%3D")
    }

    // python3: "sha256=" + hmac.new(b"whsec", b"1700000000." + body, sha256).hexdigest()
    func testWebhookSignatureCoversTimestampAndBody() {
        XCTAssertEqual(NotifySignatures.webhook(timestamp: 1_700_000_000, body: Array(#"{"a":1}"#.utf8), secret: "whsec"),
                       "sha256=8ad37ba156048ae0e0a5533c75cdf26fee88b07f93cb57ee4c80adb053012032")
    }

    func testDingTalkRequestCarriesTimestampAndSignInTheURL() throws {
        var config = NotifyChannelConfig()
        config.token = "tok"
        config.secret = "SECabc123"
        config.baseUrl = "http://127.0.0.1:23555/"
        var sender = NotifySender(kind: .dingtalk, config: config)
        sender.now = { Date(timeIntervalSince1970: 1_700_000_000.123) }
        let request = try sender.httpRequest(NotifyMessage(title: "T", body: "B"), payload: [])
        XCTAssertEqual(request.url, "http://127.0.0.1:23555/robot/send?access_token=tok&timestamp=1700000000123&sign=etIBQNvdgq9e1O4P4gRnRS05m9vXVgr6%2F5xt3Azj2s8%3D")
        let body = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
        XCTAssertEqual(body?["msgtype"] as? String, "text")
        XCTAssertEqual((body?["text"] as? [String: String])?["content"], "T\nB")
    }

    func testServicesAreJudgedByTheirBodyNotOnlyTheStatus() {
        var config = NotifyChannelConfig()
        config.key = "secret-key-1"
        let wecom = NotifySender(kind: .wecom, config: config)
        let failed = wecom.judge(.init(status: 200, body: #"{"errcode":93000,"errmsg":"invalid webhook url, key secret-key-1"}"#, transportError: nil))
        XCTAssertFalse(failed.ok)
        XCTAssertEqual(failed.error, "errcode 93000: invalid webhook url, key ********")
        XCTAssertFalse(failed.answer.contains("secret-key-1"))
        XCTAssertTrue(wecom.judge(.init(status: 200, body: #"{"errcode":0,"errmsg":"ok"}"#, transportError: nil)).ok)
        let feishu = NotifySender(kind: .feishu, config: NotifyChannelConfig())
        XCTAssertFalse(feishu.judge(.init(status: 200, body: #"{"code":19021,"msg":"sign match fail"}"#, transportError: nil)).ok)
        XCTAssertTrue(feishu.judge(.init(status: 200, body: #"{"code":0,"msg":"success","data":{}}"#, transportError: nil)).ok)
        let telegram = NotifySender(kind: .telegram, config: NotifyChannelConfig())
        XCTAssertEqual(telegram.judge(.init(status: 400, body: #"{"ok":false,"error_code":400,"description":"chat not found"}"#, transportError: nil)).ok, false)
        XCTAssertTrue(NotifySender(kind: .discord, config: NotifyChannelConfig()).judge(.init(status: 204, body: "", transportError: nil)).ok)
    }

    func testWeComTextIsCutToItsByteLimitOnACharacterBoundary() throws {
        var config = NotifyChannelConfig()
        config.key = "k"
        let long = String(repeating: "错", count: 1000)  // 3,000 bytes
        let request = try NotifySender(kind: .wecom, config: config).httpRequest(NotifyMessage(title: long, body: ""), payload: [])
        let body = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
        let content = (body?["text"] as? [String: String])?["content"] ?? ""
        XCTAssertLessThanOrEqual(content.utf8.count, 2048)
        XCTAssertTrue(content.hasSuffix("…"))
    }

    func testTemplateFieldsSectionsAndFilters() {
        let template = NotifyTemplate("{{name|upper}} {{#code}}code {{code}}{{/code}}{{^code}}no code{{/code}} {{missing}}|{{text|oneline}}")
        XCTAssertNil(template.validate())
        XCTAssertEqual(template.render(["name": "web", "code": "3", "text": "a\nb"]), "WEB code 3 |a b")
        XCTAssertEqual(template.render(["name": "web", "code": "0"]), "WEB no code |")
        XCTAssertEqual(NotifyTemplate("{{#a}}x").validate(), "section {{#a}} is not closed")
        XCTAssertEqual(NotifyTemplate("{{a|shell}}").validate(), "unknown filter shell")
        XCTAssertEqual(NotifyTemplate("{{a").validate(), "a {{ tag is not closed")
    }

    func testDefaultTemplatesInBothLanguagesCarryCodeLogsAndRepeats() {
        let event = NotificationService.sampleEvent(.containerDied, language: "en")
        let english = NotifyMessage.render(NotifyTemplate.defaultEnglish, event: event, language: "en", repeats: 4)
        XCTAssertEqual(english.title, "[WARNING] Container exited with an error: web-1")
        XCTAssertTrue(english.body.contains("Exit code: 3"))
        XCTAssertTrue(english.body.contains("fatal: connection refused"))
        XCTAssertTrue(english.body.contains("Repeated 4 more times"))
        let chinese = NotifyMessage.render(NotifyTemplate.defaultChinese, event: event, language: "zh-CN", repeats: 0)
        XCTAssertEqual(chinese.title, "[警告] 容器异常退出：web-1")
        XCTAssertTrue(chinese.body.contains("退出码：3"))
        XCTAssertFalse(chinese.body.contains("重复"))
    }

    private func event(_ kind: NotifyEventKind, container: String, host: String = "local", labels: [String: String] = [:],
                       severity: String? = nil) -> NotifyEventRecord {
        let labelText = String(decoding: try! JSONSerialization.data(withJSONObject: labels), as: UTF8.self)
        let fields = String(decoding: try! JSONSerialization.data(withJSONObject: ["container": container, "labels": labelText,
                                                                                   "stack": labels["com.docker.compose.project"] ?? ""]),
                            as: UTF8.self)
        return NotifyEventRecord(kind: kind.rawValue, severity: severity ?? kind.severity, hostID: 1, hostName: host, target: container,
                                 summary: "s", fields: fields)
    }

    private func rule(_ events: [String], _ filters: NotifyFilters) -> NotifyRule {
        NotifyRule(NotifyRuleRecord(name: "r", enabled: true, events: NotificationService.json(events), filters: NotificationService.json(filters),
                                    channels: "[1]", template: nil, language: "en", throttleSeconds: 600))
    }

    func testRulesMatchKindHostGlobStackLabelAndSeverity() {
        let web = event(.containerDied, container: "web-1", labels: ["com.docker.compose.project": "shop", "team": "a"])
        XCTAssertTrue(rule(["container.died"], NotifyFilters()).matches(web))
        XCTAssertFalse(rule(["container.oom"], NotifyFilters()).matches(web))
        XCTAssertTrue(rule(["container.died"], NotifyFilters(container: "web-*")).matches(web))
        XCTAssertFalse(rule(["container.died"], NotifyFilters(container: "db?")).matches(web))
        XCTAssertFalse(rule(["container.died"], NotifyFilters(hosts: ["edge"])).matches(web))
        XCTAssertTrue(rule(["container.died"], NotifyFilters(stacks: ["shop"])).matches(web))
        XCTAssertTrue(rule(["container.died"], NotifyFilters(labels: ["team": "a"])).matches(web))
        XCTAssertTrue(rule(["container.died"], NotifyFilters(labels: ["team": ""])).matches(web))
        XCTAssertFalse(rule(["container.died"], NotifyFilters(labels: ["team": "b"])).matches(web))
        XCTAssertFalse(rule(["container.died"], NotifyFilters(minSeverity: "critical")).matches(web))
        XCTAssertTrue(rule(["*"], NotifyFilters(minSeverity: "warning")).matches(web))
    }

    func testThrottleSendsOncePerWindowAndCountsRepeatsIntoTheNext() throws {
        let saved = try database.insertNotifyRule(NotifyRuleRecord(name: "r", enabled: true, events: "[]", filters: "{}", channels: "[]",
                                                                   template: nil, language: "en", throttleSeconds: 600))
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        XCTAssertTrue(try database.notifyThrottle(ruleID: saved.id, kind: "k", target: "a", window: 600, now: start) == (true, 0))
        XCTAssertFalse(try database.notifyThrottle(ruleID: saved.id, kind: "k", target: "a", window: 600, now: start.addingTimeInterval(10)).send)
        XCTAssertFalse(try database.notifyThrottle(ruleID: saved.id, kind: "k", target: "a", window: 600, now: start.addingTimeInterval(20)).send)
        // Another target is not held back.
        XCTAssertTrue(try database.notifyThrottle(ruleID: saved.id, kind: "k", target: "b", window: 600, now: start.addingTimeInterval(20)).send)
        let later = try database.notifyThrottle(ruleID: saved.id, kind: "k", target: "a", window: 600, now: start.addingTimeInterval(601))
        XCTAssertTrue(later.send)
        XCTAssertEqual(later.repeats, 2)
    }

    func testChannelSecretsAreMaskedAndAMaskedPutKeepsThem() throws {
        let service = NotificationService(database: database, secrets: SecretBox(key: Array(repeating: 7, count: 32)))
        var config = NotifyChannelConfig()
        config.url = "https://hooks.example.com/T000/very-secret"
        config.secret = "hmac-secret"
        let created = try service.createChannel(NotifyChannelInput(kind: "webhook", name: "ops", enabled: true, config: config))
        XCTAssertEqual(created.config.url, NotifyChannelConfig.mask)
        XCTAssertEqual(created.config.secret, NotifyChannelConfig.mask)
        let sealed = try XCTUnwrap(try database.notifyChannel(id: created.id)).sealedConfig
        XCTAssertFalse(sealed.contains("very-secret"))
        var resent = created.config
        resent.method = "PUT"
        _ = try service.updateChannel(created.id, NotifyChannelInput(kind: "webhook", name: "ops", enabled: true, config: resent))
        let opened = try NotificationService.openConfig(try XCTUnwrap(try database.notifyChannel(id: created.id)), service.secrets)
        XCTAssertEqual(opened.url, "https://hooks.example.com/T000/very-secret")
        XCTAssertEqual(opened.method, "PUT")
        XCTAssertThrowsError(try service.createChannel(NotifyChannelInput(kind: "wecom", name: "w", enabled: true, config: NotifyChannelConfig()))) {
            XCTAssertEqual(($0 as? JarvisError)?.field, "config.key")
        }
    }
}
