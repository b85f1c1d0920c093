import Foundation

/// The message template language (documented in docs/notifications.md): `{{field}}` inserts a field,
/// `{{field|filter}}` applies `upper`, `lower`, `trim` or `oneline`, and `{{#field}}…{{/field}}`
/// keeps its inside only when the field is present, not empty and not `0` (`{{^field}}…{{/field}}`
/// when it is not). Unknown fields are empty. Nothing in a template can run code or read
/// anything but the event's fields. The first line of the result is the message's title.
public struct NotifyTemplate: Sendable {
    public let source: String

    public init(_ source: String) { self.source = source }

    /// Templates longer than this are refused (`validate`).
    public static let maxLength = 8192

    public static let filters: Set<String> = ["upper", "lower", "trim", "oneline"]

    /// Problems a save should refuse: unbalanced sections, unknown filters, unclosed tags.
    public func validate() -> String? {
        if source.count > Self.maxLength { return "template is longer than \(Self.maxLength) characters" }
        var open: [String] = []
        var rest = Substring(source)
        while let start = rest.range(of: "{{") {
            guard let end = rest[start.upperBound...].range(of: "}}") else { return "a {{ tag is not closed" }
            let tag = rest[start.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespaces)
            if tag.hasPrefix("#") || tag.hasPrefix("^") {
                open.append(String(tag.dropFirst()).trimmingCharacters(in: .whitespaces))
            } else if tag.hasPrefix("/") {
                let name = String(tag.dropFirst()).trimmingCharacters(in: .whitespaces)
                guard open.popLast() == name else { return "{{/\(name)}} closes a section that is not open" }
            } else {
                let parts = tag.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.first?.isEmpty ?? true { return "an empty {{}} tag" }
                for filter in parts.dropFirst() where !Self.filters.contains(filter) { return "unknown filter \(filter)" }
            }
            rest = rest[end.upperBound...]
        }
        if let name = open.last { return "section {{#\(name)}} is not closed" }
        return nil
    }

    /// The text with the fields put in. A template that does not validate renders as written.
    public func render(_ fields: [String: String]) -> String {
        guard validate() == nil else { return source }
        var output = ""
        var rest = Substring(source)
        render(&rest, fields, into: &output, until: nil)
        return output
    }

    private func render(_ rest: inout Substring, _ fields: [String: String], into output: inout String, until closing: String?) {
        while let start = rest.range(of: "{{") {
            output += rest[..<start.lowerBound]
            let end = rest[start.upperBound...].range(of: "}}")!
            let tag = rest[start.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = rest[end.upperBound...]
            if tag.hasPrefix("/") { return }
            if tag.hasPrefix("#") || tag.hasPrefix("^") {
                let name = String(tag.dropFirst()).trimmingCharacters(in: .whitespaces)
                let present = Self.isPresent(fields[name])
                var inner = ""
                render(&rest, fields, into: &inner, until: name)
                if present == tag.hasPrefix("#") { output += inner }
                continue
            }
            let parts = tag.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            var value = fields[parts[0]] ?? ""
            for filter in parts.dropFirst() {
                switch filter {
                case "upper": value = value.uppercased()
                case "lower": value = value.lowercased()
                case "trim": value = value.trimmingCharacters(in: .whitespacesAndNewlines)
                case "oneline": value = value.split(whereSeparator: \.isNewline).joined(separator: " ")
                default: break
                }
            }
            output += value
        }
        output += rest
        rest = rest[rest.endIndex...]
    }

    static func isPresent(_ value: String?) -> Bool {
        guard let value else { return false }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return !trimmed.isEmpty && trimmed != "0"
    }

    /// The default message in English.
    public static let defaultEnglish = NotifyTemplate("""
        [{{severity|upper}}] {{event}}: {{target}}
        {{#host}}Host: {{host}}
        {{/host}}{{summary}}
        {{#exit_code}}Exit code: {{exit_code}}
        {{/exit_code}}{{#health_output}}Health check: {{health_output}}
        {{/health_output}}{{#error}}Error: {{error}}
        {{/error}}{{#logs}}Last log lines:
        {{logs}}
        {{/logs}}{{#repeats}}Repeated {{repeats}} more times since the last message.
        {{/repeats}}Time: {{time}}
        """)

    /// The default message in Chinese.
    public static let defaultChinese = NotifyTemplate("""
        [{{severity_label}}] {{event}}：{{target}}
        {{#host}}主机：{{host}}
        {{/host}}{{summary}}
        {{#exit_code}}退出码：{{exit_code}}
        {{/exit_code}}{{#health_output}}健康检查输出：{{health_output}}
        {{/health_output}}{{#error}}错误：{{error}}
        {{/error}}{{#logs}}最后几行日志：
        {{logs}}
        {{/logs}}{{#repeats}}自上一条消息以来又重复了 {{repeats}} 次。
        {{/repeats}}时间：{{time}}
        """)

    public static func defaultTemplate(_ language: String) -> NotifyTemplate {
        language.hasPrefix("zh") ? defaultChinese : defaultEnglish
    }
}
