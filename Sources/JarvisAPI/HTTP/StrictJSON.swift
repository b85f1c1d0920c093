import Foundation
import JarvisCore

/// Decodes request bodies as `JSONDecoder` with `.convertFromSnakeCase` does, but refuses
/// any object key that the decoded type never asked for (`cmd` sent for `command`), at
/// any depth, so a typo is a 400 naming the field instead of a setting silently dropped.
///
/// It works for every `Decodable`, synthesized or hand-written, without a list of fields to
/// keep in step: a decoder wrapper records which keys each object's `init(from:)` asked for.
/// Objects read through `allKeys` (dictionaries such as `labels`) accept any key.
public enum StrictJSON {
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let tracker = KeyTracker()
        // Default keys: the snake-case conversion is done here, so the raw names stay at hand for errors.
        let decoder = JSONDecoder()
        decoder.userInfo[KeyTracker.userInfoKey] = tracker
        let value = try decoder.decode(Root<T>.self, from: data).value
        if let unknown = tracker.firstUnknown() {
            throw JarvisError(400, "unknown_field", "\(unknown.path): unknown field; \(unknown.hint)").field(unknown.path)
        }
        return value
    }

    /// Foundation's `convertFromSnakeCase` for one key (`host_config` → `hostConfig`, `_a_b_` → `_aB_`).
    static func camelCased(_ key: String) -> String {
        guard let first = key.firstIndex(where: { $0 != "_" }) else { return key }
        var last = key.index(before: key.endIndex)
        while last > first && key[last] == "_" { key.formIndex(before: &last) }
        let core = key[first...last]
        let components = core.split(separator: "_")
        let joined = components.count == 1 ? String(core)
            : ([components[0].lowercased()] + components.dropFirst().map { $0.capitalized }).joined()
        return String(key[..<first]) + joined + String(key[key.index(after: last)...])
    }

    private struct Root<T: Decodable>: Decodable {
        let value: T
        init(from decoder: Decoder) throws {
            guard let tracker = decoder.userInfo[KeyTracker.userInfoKey] as? KeyTracker else {
                preconditionFailure("StrictJSON.Root decoded without its tracker")
            }
            value = try T(from: TrackingDecoder(base: decoder, tracker: tracker, path: ""))
        }
    }
}

/// A key that takes any name: lets us see every key an object holds.
struct AnyCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue; intValue = nil }
    init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

/// `[String: X]` decodes without key conversion in `JSONDecoder`; marked so we hand it over untouched.
protocol StringKeyedDictionaryMarker {}
extension Dictionary: StringKeyedDictionaryMarker where Key == String {}

/// The objects met while decoding one body, and which of their keys were asked for.
final class KeyTracker: @unchecked Sendable {  // one decode, one thread
    static let userInfoKey = CodingUserInfoKey(rawValue: "jarvis.strict-json")!

    final class Node {
        let path: String
        /// Converted (camelCase) name → the name as sent.
        let present: [String: String]
        var asked: Set<String> = []
        var open = false
        init(path: String, present: [String: String]) { self.path = path; self.present = present }
    }

    private(set) var nodes: [Node] = []

    func register(path: String, keys: [String]) -> Node {
        var present: [String: String] = [:]
        for raw in keys { present[StrictJSON.camelCased(raw), default: raw] = raw }
        let node = Node(path: path, present: present)
        nodes.append(node)
        return node
    }

    /// Runs one decoding attempt; objects seen by a failed attempt (a `try?` fallback
    /// to another shape) are forgotten, so only what was finally decoded is judged.
    func attempt<R>(_ body: () throws -> R) throws -> R {
        let mark = nodes.count
        do { return try body() } catch {
            nodes.removeSubrange(mark...)
            throw error
        }
    }

    /// The first key (by path, then name) no decoder asked for, with the names that were.
    func firstUnknown() -> (path: String, hint: String)? {
        var byPath: [String: (present: [String: String], asked: Set<String>, open: Bool)] = [:]
        for node in nodes {
            var entry = byPath[node.path] ?? (node.present, [], false)
            entry.asked.formUnion(node.asked)
            entry.open = entry.open || node.open
            byPath[node.path] = entry
        }
        for (path, entry) in byPath.sorted(by: { $0.key < $1.key }) where !entry.open {
            let unknown = entry.present.filter { !entry.asked.contains($0.key) }.map(\.value).sorted()
            guard let first = unknown.first else { continue }
            let known = entry.asked.map(\.snakeCased).sorted()
            let hint = known.isEmpty ? "this object takes no fields" : "expected one of \(known.joined(separator: ", "))"
            return (path.isEmpty ? first : "\(path).\(first)", hint)
        }
        return nil
    }
}

/// Values that need no tracking: scalars, and types `JSONDecoder` decodes its own way.
private func isLeaf<T>(_ type: T.Type) -> Bool {
    type is StringKeyedDictionaryMarker.Type || type == String.self || type == Bool.self || type == Int.self || type == Int64.self
        || type == Int32.self || type == UInt.self || type == UInt64.self || type == Double.self || type == Float.self
        || type == Date.self || type == Data.self || type == URL.self || type == Decimal.self
}

private struct TrackingDecoder: Decoder {
    let base: Decoder
    let tracker: KeyTracker
    let path: String

    var codingPath: [CodingKey] { base.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { base.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let all = try base.container(keyedBy: AnyCodingKey.self)
        let node = tracker.register(path: path, keys: all.allKeys.map(\.stringValue))
        return KeyedDecodingContainer(TrackingKeyedContainer<Key>(all: all, node: node, tracker: tracker, path: path))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        TrackingUnkeyedContainer(base: try base.unkeyedContainer(), tracker: tracker, path: path)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer {
        TrackingSingleValueContainer(decoder: base, base: try base.singleValueContainer(), tracker: tracker, path: path)
    }
}

private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

private struct TrackingKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let all: KeyedDecodingContainer<AnyCodingKey>
    let node: KeyTracker.Node
    let tracker: KeyTracker
    let path: String

    var codingPath: [CodingKey] { all.codingPath }

    var allKeys: [Key] {
        node.open = true  // the type reads whatever is there (a dictionary, a catch-all)
        return node.present.keys.compactMap { Key(stringValue: $0) }
    }

    /// Marks the key as asked for and gives the name it was sent under.
    private func raw(_ key: Key) -> AnyCodingKey? {
        node.asked.insert(key.stringValue)
        return node.present[key.stringValue].map(AnyCodingKey.init(stringValue:))
    }

    private func required(_ key: Key) throws -> AnyCodingKey {
        guard let raw = raw(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "No value for key \(key.stringValue)"))
        }
        return raw
    }

    func contains(_ key: Key) -> Bool { raw(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { try all.decodeNil(forKey: required(key)) }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try all.decode(type, forKey: required(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try all.decode(type, forKey: required(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try all.decode(type, forKey: required(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try all.decode(type, forKey: required(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try all.decode(type, forKey: required(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try all.decode(type, forKey: required(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try all.decode(type, forKey: required(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try all.decode(type, forKey: required(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try all.decode(type, forKey: required(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try all.decode(type, forKey: required(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try all.decode(type, forKey: required(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try all.decode(type, forKey: required(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try all.decode(type, forKey: required(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try all.decode(type, forKey: required(key)) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let name = try required(key)
        if isLeaf(type) { return try all.decode(type, forKey: name) }
        let sub = try all.superDecoder(forKey: name)
        return try tracker.attempt { try T(from: TrackingDecoder(base: sub, tracker: tracker, path: join(path, name.stringValue))) }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let name = try required(key)
        return try TrackingDecoder(base: try all.superDecoder(forKey: name), tracker: tracker, path: join(path, name.stringValue))
            .container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        let name = try required(key)
        return TrackingUnkeyedContainer(base: try all.nestedUnkeyedContainer(forKey: name), tracker: tracker, path: join(path, name.stringValue))
    }

    func superDecoder() throws -> Decoder {
        TrackingDecoder(base: try all.superDecoder(), tracker: tracker, path: path)
    }

    func superDecoder(forKey key: Key) throws -> Decoder {
        let name = raw(key) ?? AnyCodingKey(stringValue: key.stringValue)
        return TrackingDecoder(base: try all.superDecoder(forKey: name), tracker: tracker, path: join(path, name.stringValue))
    }
}

private struct TrackingUnkeyedContainer: UnkeyedDecodingContainer {
    var base: UnkeyedDecodingContainer
    let tracker: KeyTracker
    let path: String

    var codingPath: [CodingKey] { base.codingPath }
    var count: Int? { base.count }
    var isAtEnd: Bool { base.isAtEnd }
    var currentIndex: Int { base.currentIndex }
    private var here: String { "\(path)[\(base.currentIndex)]" }

    mutating func decodeNil() throws -> Bool { try base.decodeNil() }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try base.decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try base.decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try base.decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try base.decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try base.decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try base.decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try base.decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try base.decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try base.decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try base.decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try base.decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try base.decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try base.decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try base.decode(type) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if isLeaf(type) { return try base.decode(type) }
        let path = here
        let sub = try base.superDecoder()
        return try tracker.attempt { [tracker] in try T(from: TrackingDecoder(base: sub, tracker: tracker, path: path)) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let path = here
        return try TrackingDecoder(base: try base.superDecoder(), tracker: tracker, path: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        let path = here
        return TrackingUnkeyedContainer(base: try base.nestedUnkeyedContainer(), tracker: tracker, path: path)
    }

    mutating func superDecoder() throws -> Decoder {
        let path = here
        return TrackingDecoder(base: try base.superDecoder(), tracker: tracker, path: path)
    }
}

private struct TrackingSingleValueContainer: SingleValueDecodingContainer {
    let decoder: Decoder
    let base: SingleValueDecodingContainer
    let tracker: KeyTracker
    let path: String

    var codingPath: [CodingKey] { base.codingPath }

    func decodeNil() -> Bool { base.decodeNil() }
    func decode(_ type: Bool.Type) throws -> Bool { try base.decode(type) }
    func decode(_ type: String.Type) throws -> String { try base.decode(type) }
    func decode(_ type: Double.Type) throws -> Double { try base.decode(type) }
    func decode(_ type: Float.Type) throws -> Float { try base.decode(type) }
    func decode(_ type: Int.Type) throws -> Int { try base.decode(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try base.decode(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try base.decode(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try base.decode(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try base.decode(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try base.decode(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try base.decode(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try base.decode(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try base.decode(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try base.decode(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if isLeaf(type) { return try base.decode(type) }
        return try tracker.attempt { try T(from: TrackingDecoder(base: decoder, tracker: tracker, path: path)) }
    }
}
