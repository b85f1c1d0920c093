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

/// A file that cannot be used: every error found, not only the first, and the warnings found
/// beside them (a warning such as "unsupported setting, ignored" is often the real cause).
public struct ComposeError: Error, Sendable, CustomStringConvertible {
    /// The errors.
    public let issues: [ComposeIssue]
    public let warnings: [ComposeIssue]
    public let hostAccess: [ComposeIssue]

    public init(_ issues: [ComposeIssue], warnings: [ComposeIssue] = [], hostAccess: [ComposeIssue] = []) {
        self.issues = issues
        self.warnings = warnings
        self.hostAccess = hostAccess
    }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// What checking a file found, whether or not it can be used: errors and warnings together, always.
public struct ComposeValidation: Sendable {
    /// Nil when there are errors.
    public let project: ComposeProject?
    public let errors: [ComposeIssue]
    public let warnings: [ComposeIssue]
    public let hostAccess: [ComposeIssue]

    public var valid: Bool { errors.isEmpty }
}
