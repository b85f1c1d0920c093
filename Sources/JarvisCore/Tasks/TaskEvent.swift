import Foundation

/// One layer's state in a pull or load, as the progress bars show it.
public struct LayerProgress: Codable, Sendable, Equatable {
    public var id: String
    public var status: String
    public var current: Int64?
    public var total: Int64?
}

/// One progress row of a task, stored as JSON and sent as one SSE event whose
/// name is `type`: `log`, `layers`, `progress` or `state`.
public struct TaskEvent: Encodable, Sendable {
    public let type: String
    public var text: String?
    public var layers: [LayerProgress]?
    public var current: Int64?
    public var total: Int64?
    public var label: String?
    /// What `current` and `total` count: `bytes` (transfers) or `steps` (builds, stack plans).
    public var unit: String?
    public var state: String?
    public var error: String?

    public static func log(_ text: String) -> TaskEvent { TaskEvent(type: "log", text: text) }
    public static func layers(_ layers: [LayerProgress]) -> TaskEvent { TaskEvent(type: "layers", layers: layers) }
    public static func progress(_ current: Int64, of total: Int64?, _ label: String, unit: String = "bytes") -> TaskEvent {
        TaskEvent(type: "progress", current: current, total: total, label: label, unit: unit)
    }
    public static func state(_ state: String, error: String? = nil) -> TaskEvent { TaskEvent(type: "state", state: state, error: error) }

    public var json: String { jsonText(self) }
}
