/// Text of one server-sent event. Data is split on newlines as the format requires.
public enum ServerSentEvent {
    public static func encode(id: String? = nil, event: String? = nil, data: String) -> String {
        var text = ""
        if let id { text += "id: \(id)\n" }
        if let event { text += "event: \(event)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
        return text + "\n"
    }

    /// A comment line: keeps proxies and the browser from timing the stream out.
    public static let heartbeat = ": keepalive\n\n"
    /// How often a quiet stream sends a heartbeat.
    public static let heartbeatSeconds: UInt64 = 15
}
