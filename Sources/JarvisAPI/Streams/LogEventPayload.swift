import DockerEngine
import Foundation

/// The JSON data of one log SSE event.
public struct LogEventPayload: Encodable, Sendable {
    public let stream: String
    public let time: String?
    public let line: String

    public init(_ line: LogLine) {
        stream = line.stream.rawValue
        time = line.timestamp
        self.line = line.text
    }

    public var json: String { String(decoding: (try? JSONCoding.encoder.encode(self)) ?? Data(), as: UTF8.self) }
}
