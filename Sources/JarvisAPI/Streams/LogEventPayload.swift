import JarvisCore
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

}

/// Writes `log` events straight into bytes: `id: <time>#<n>`, `event: log`, and the
/// payload's JSON on one `data:` line (JSON never holds a raw newline). A follow
/// sends one per line, so this path avoids String slicing and interpolation.
public enum LogEventWriter {
    public static func append(_ line: LogLine, at position: LogCursor, to out: inout [UInt8]) {
        out += "id: ".utf8
        out += position.timestamp.utf8
        out.append(0x23)  // #
        out += String(position.index).utf8
        out += "\nevent: log\ndata: {\"line\":".utf8
        appendQuoted(line.text, to: &out)
        out += ",\"stream\":\"".utf8
        out += line.stream.rawValue.utf8
        out.append(0x22)
        if let time = line.timestamp {
            out += ",\"time\":".utf8
            appendQuoted(time, to: &out)
        }
        out += "}\n\n".utf8
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        out.append(0x22)
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte == 0x22 || byte == 0x5C || byte < 0x20 else { continue }
                out += UnsafeBufferPointer(rebasing: bytes[start..<index])
                switch byte {
                case 0x22: out += [0x5C, 0x22]
                case 0x5C: out += [0x5C, 0x5C]
                case 0x0A: out += [0x5C, 0x6E]
                case 0x0D: out += [0x5C, 0x72]
                case 0x09: out += [0x5C, 0x74]
                default: out += [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
                }
                start = index + 1
            }
            out += UnsafeBufferPointer(rebasing: bytes[start..<bytes.count])
        }
        out.append(0x22)
    }
}
