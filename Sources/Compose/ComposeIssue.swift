/// One finding about a Compose file: where it is and what is wrong.
public struct ComposeIssue: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }

    public var severity: Severity
    /// The file, relative to the project folder (`compose.yaml`, `.env`).
    public var file: String
    /// 1-based; nil when the finding has no single place (a dependency cycle).
    public var line: Int?
    public var column: Int?
    /// Key path such as `services.web.ports[1]`; empty for the whole file.
    public var path: String
    public var message: String

    public init(_ severity: Severity, file: String, line: Int? = nil, column: Int? = nil, path: String, _ message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(place): \(message)" : "\(place): \(path): \(message)"
    }
}

/// A file that cannot be used: every error found, not only the first.
public struct ComposeError: Error, Sendable, CustomStringConvertible {
    public let issues: [ComposeIssue]

    public init(_ issues: [ComposeIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
