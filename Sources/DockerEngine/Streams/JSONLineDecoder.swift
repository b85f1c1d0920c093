import Foundation

/// Splits a stream of newline-delimited JSON documents (events, pull and build
/// progress) into values; a pure state machine over arbitrary chunk boundaries.
public struct JSONLineDecoder<Value: Decodable>: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    public mutating func feed(_ bytes: [UInt8]) throws -> [Value] {
        pending.append(contentsOf: bytes)
        guard let lastNewline = pending.lastIndex(of: 0x0A) else { return [] }
        let complete = pending[..<lastNewline]
        let values = try complete.split(separator: 0x0A).compactMap(Self.decodeLine)
        pending.removeFirst(lastNewline + 1)
        return values
    }

    /// A final document without a trailing newline.
    public mutating func finish() throws -> [Value] {
        defer { pending.removeAll() }
        return try Self.decodeLine(pending[...]).map { [$0] } ?? []
    }

    private static func decodeLine(_ line: ArraySlice<UInt8>) throws -> Value? {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) else { return nil }
        do {
            return try JSONDecoderFactory.engine.decode(Value.self, from: Data(line))
        } catch {
            throw EngineError(.decoding, message: "invalid JSON line from the engine: \(error)")
        }
    }
}
