/// Why a trigger was refused: the field it concerns, the character position in the expression (0-based) and a reason.
public struct TriggerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `minute`, `hour`, `day-of-month`, `month`, `day-of-week`, `second`, `expression`, `timezone`, `every_seconds`, `at`, `jitter_seconds`, `type`.
    public let field: String
    /// Column in the cron expression (0-based); nil when the error is not about the expression text.
    public let position: Int?
    /// The reason, without the field name.
    public let reason: String

    /// Makes an error about `field` at `position`.
    public init(field: String, position: Int? = nil, message: String) {
        self.field = field; self.position = position; self.reason = message
    }

    /// `minute: 61 is out of range 0-59`.
    public var description: String { "\(field): \(reason)" }
}
