/// Splits the engine's multiplexed log/attach stream (`Tty=false`) into frames:
/// an 8-byte header `[stream, 0, 0, 0, size (big endian u32)]` then `size` bytes.
/// A pure state machine: feed chunks with arbitrary boundaries, get whole frames.
public struct LogFrameDecoder: Sendable {
    public struct Frame: Equatable, Sendable {
        public let stream: LogStream
        public let payload: [UInt8]
    }

    private var buffer: [UInt8] = []
    private var offset = 0

    public init() {}

    /// Appends bytes and returns every frame now complete.
    public mutating func feed(_ bytes: [UInt8]) throws -> [Frame] {
        buffer.append(contentsOf: bytes)
        var frames: [Frame] = []
        while buffer.count - offset >= 8 {
            let size = Int(buffer[offset + 4]) << 24 | Int(buffer[offset + 5]) << 16 | Int(buffer[offset + 6]) << 8 | Int(buffer[offset + 7])
            guard buffer.count - offset - 8 >= size else { break }
            let stream: LogStream
            switch buffer[offset] {
            case 0, 1: stream = .stdout  // 0 is stdin, which the engine echoes as output
            case 2: stream = .stderr
            case 3: stream = .system
            default:
                throw EngineError(.decoding, message: "invalid log frame header byte \(buffer[offset])")
            }
            frames.append(Frame(stream: stream, payload: Array(buffer[(offset + 8)..<(offset + 8 + size)])))
            offset += 8 + size
        }
        if offset > 0 && (offset == buffer.count || offset > 1 << 16) {
            buffer.removeFirst(offset)
            offset = 0
        }
        return frames
    }

    /// True when a frame was started but not finished.
    public var hasPartialFrame: Bool { buffer.count > offset }
}

/// Cuts byte runs into lines per stream, keeping an unterminated tail until
/// more bytes or the end arrive; strips the engine's timestamp prefix.
public struct LogLineSplitter: Sendable {
    private var partial: [LogStream: [UInt8]] = [:]
    private let timestamps: Bool
    /// Longest line kept whole; longer output is cut so memory stays bounded.
    public static let maxLineBytes = 1 << 20

    public init(timestamps: Bool) { self.timestamps = timestamps }

    public mutating func feed(_ bytes: [UInt8], stream: LogStream) -> [LogLine] {
        var lines: [LogLine] = []
        var pending = partial[stream] ?? []
        var start = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            pending.append(contentsOf: bytes[start..<index])
            lines.append(makeLine(pending, stream: stream))
            pending.removeAll(keepingCapacity: true)
            start = index + 1
        }
        pending.append(contentsOf: bytes[start...])
        if pending.count > Self.maxLineBytes {
            lines.append(makeLine(pending, stream: stream))
            pending.removeAll()
        }
        partial[stream] = pending
        return lines
    }

    /// Lines left without a final newline when the stream ended.
    public mutating func finish() -> [LogLine] {
        let lines = partial.sorted { $0.key.rawValue < $1.key.rawValue }
            .filter { !$0.value.isEmpty }
            .map { makeLine($0.value, stream: $0.key) }
        partial.removeAll()
        return lines
    }

    private func makeLine(_ bytes: [UInt8], stream: LogStream) -> LogLine {
        var body = bytes[...]
        if body.last == 0x0D { body = body.dropLast() }
        var timestamp: String?
        if timestamps, let space = body.firstIndex(of: 0x20), space - body.startIndex >= 20 {
            timestamp = String(decoding: body[..<space], as: UTF8.self)
            body = body[(space + 1)...]
        }
        return LogLine(stream: stream, timestamp: timestamp, text: String(decoding: body, as: UTF8.self))
    }
}
