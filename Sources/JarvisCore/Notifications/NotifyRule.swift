import Foundation
import JarvisStore

/// Which events a rule keeps: every filter that is set must match.
public struct NotifyFilters: Codable, Sendable, Equatable {
    /// Host names (exact); empty means every host.
    public var hosts: [String]?
    /// A shell glob over the container name (`web-*`, `db?`).
    public var container: String?
    /// Compose project names.
    public var stacks: [String]?
    /// Container labels that must be present with these values (`""` means any value).
    public var labels: [String: String]?
    /// The least severity kept (`info`, `warning`, `critical`).
    public var minSeverity: String?

    public init(hosts: [String]? = nil, container: String? = nil, stacks: [String]? = nil, labels: [String: String]? = nil,
                minSeverity: String? = nil) {
        self.hosts = hosts; self.container = container; self.stacks = stacks; self.labels = labels; self.minSeverity = minSeverity
    }

}

/// A rule as the API shows it and the router uses it.
public struct NotifyRule: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var enabled: Bool
    public var events: [String]
    public var filters: NotifyFilters
    public var channels: [Int64]
    /// nil: the default template of `language`.
    public var template: String?
    public var language: String
    /// Same event kind and target at most once per this many seconds.
    public var throttleSeconds: Int
    public var createdAt: String
    public var updatedAt: String


    public init(_ record: NotifyRuleRecord) {
        id = record.id; name = record.name; enabled = record.enabled
        events = (try? JSONDecoder().decode([String].self, from: Data(record.events.utf8))) ?? []
        filters = (try? JSONDecoder().decode(NotifyFilters.self, from: Data(record.filters.utf8))) ?? NotifyFilters()
        channels = (try? JSONDecoder().decode([Int64].self, from: Data(record.channels.utf8))) ?? []
        template = record.template; language = record.language; throttleSeconds = record.throttleSeconds
        createdAt = record.createdAt; updatedAt = record.updatedAt
    }

    /// True when this rule wants `event` (pure: the router's decision, tested without a store).
    public func matches(_ event: NotifyEventRecord) -> Bool {
        guard enabled, events.contains(event.kind) || events.contains("*") else { return false }
        let fields = Self.fields(of: event)
        if let hosts = filters.hosts, !hosts.isEmpty, !hosts.contains(event.hostName ?? "") { return false }
        if let glob = filters.container, !glob.isEmpty {
            guard let name = fields["container"], Self.glob(glob, name) else { return false }
        }
        if let stacks = filters.stacks, !stacks.isEmpty, !stacks.contains(fields["stack"] ?? "") { return false }
        if let labels = filters.labels, !labels.isEmpty {
            let present = Self.labels(fields["labels"])
            for (key, value) in labels {
                guard let actual = present[key], value.isEmpty || actual == value else { return false }
            }
        }
        if let least = filters.minSeverity, NotifySeverity.rank(event.severity) < NotifySeverity.rank(least) { return false }
        return true
    }

    /// fnmatch(3) semantics: `*`, `?`, `[...]`.
    public static func glob(_ pattern: String, _ name: String) -> Bool { fnmatch(pattern, name, 0) == 0 }

    static func fields(of event: NotifyEventRecord) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(event.fields.utf8))) ?? [:]
    }

    /// `labels` is carried as JSON text of an object in the event's fields.
    static func labels(_ text: String?) -> [String: String] {
        guard let text else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }

    /// The template this rule renders with.
    public var effectiveTemplate: NotifyTemplate {
        template.map(NotifyTemplate.init) ?? NotifyTemplate.defaultTemplate(language)
    }
}

/// A rendered message: its first line is the title, the rest the body.
public struct NotifyMessage: Sendable, Equatable {
    public var title: String
    public var body: String

    public init(title: String, body: String) { self.title = title; self.body = body }

    /// The whole text (title, a line break, the body).
    public var text: String { body.isEmpty ? title : title + "\n" + body }

    /// Renders `template` over the event's fields plus `event`, `severity`, `severity_label`, `host`,
    /// `target`, `kind`, `time` and `repeats`.
    public static func render(_ template: NotifyTemplate, event: NotifyEventRecord, language: String, repeats: Int) -> NotifyMessage {
        var fields = NotifyRule.fields(of: event)
        fields["kind"] = event.kind
        fields["event"] = NotifyEventKind(rawValue: event.kind)?.label(language) ?? event.kind
        fields["severity"] = event.severity
        fields["severity_label"] = severityLabel(event.severity, language)
        fields["host"] = event.hostName ?? ""
        fields["target"] = event.target
        fields["time"] = event.at
        fields["repeats"] = String(repeats)
        fields["summary"] = fields["summary"] ?? event.summary
        let text = template.render(fields).trimmingCharacters(in: .whitespacesAndNewlines)
        let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let title = lines.first.map(String.init) ?? ""
        return NotifyMessage(title: String(title.prefix(200)), body: lines.count > 1 ? String(lines[1]) : "")
    }

    static func severityLabel(_ severity: String, _ language: String) -> String {
        guard language.hasPrefix("zh") else { return severity.uppercased() }
        switch severity {
        case "critical": return "严重"
        case "warning": return "警告"
        default: return "提示"
        }
    }
}
