import Foundation
import Yams

/// One file a load reads: its name as issues show it, the folder its relative paths start
/// from, and the variables it interpolates (an `include`d project has its own `.env`).
struct SourceFile {
    let name: String
    /// Absolute path of the file.
    let path: String
    let folder: String
    let interpolator: Interpolator
}

/// Collects what one load finds, and reads scalars through interpolation.
final class LoadContext {
    private(set) var sources: [SourceFile]
    private(set) var issues: [ComposeIssue] = []
    /// Not problems: what only an administrator should hand a container (see `ComposeProject.hostAccess`).
    private(set) var hostAccess: [ComposeIssue] = []
    private static let tagPrefix = "tag:jarvis.compose,source:"
    /// Services whose `extends` could not be resolved: already reported, so not also "needs an image".
    var unresolvedExtends = Set<String>()

    init(file: String, folder: String, interpolator: Interpolator) {
        sources = [SourceFile(name: file, path: folder + "/" + file, folder: folder, interpolator: interpolator)]
    }

    var file: String { sources[0].name }
    var interpolator: Interpolator { sources[0].interpolator }

    /// Adds a further file; its nodes come back tagged with it, so that merged trees still know
    /// each node's file (for issues, relative paths and interpolation).
    func adopt(_ root: Node, as source: SourceFile) -> Node {
        sources.append(source)
        return Self.tagged(root, Tag(Tag.Name(rawValue: Self.tagPrefix + String(sources.count - 1))))
    }

    func source(of node: Node) -> SourceFile {
        let raw: String
        switch node {
        case let .scalar(scalar): raw = scalar.tag.rawValue
        case let .mapping(mapping): raw = mapping.tag.rawValue
        case let .sequence(sequence): raw = sequence.tag.rawValue
        case .alias: return sources[0]
        }
        guard raw.hasPrefix(Self.tagPrefix), let index = Int(raw.dropFirst(Self.tagPrefix.count)), sources.indices.contains(index) else {
            return sources[0]
        }
        return sources[index]
    }

    private static func tagged(_ node: Node, _ tag: Tag) -> Node {
        switch node {
        case var .scalar(scalar):
            scalar.tag = tag
            return .scalar(scalar)
        case let .mapping(mapping):
            return .mapping(Node.Mapping(mapping.map { (tagged($0.key, tag), tagged($0.value, tag)) }, tag, mapping.style, mapping.mark))
        case let .sequence(sequence):
            return .sequence(Node.Sequence(sequence.map { tagged($0, tag) }, tag, sequence.style, sequence.mark))
        case .alias:
            return node
        }
    }

    func error(_ at: Cursor, _ message: String) { report(.error, at, message) }
    func warning(_ at: Cursor, _ message: String) { report(.warning, at, message) }
    func error(path: String, _ message: String) { issues.append(ComposeIssue(.error, file: file, path: path, message)) }
    func error(file: String, line: Int?, path: String, _ message: String) { issues.append(ComposeIssue(.error, file: file, line: line, path: path, message)) }
    func hostAccess(_ at: Cursor, _ message: String) {
        hostAccess.append(ComposeIssue(.warning, file: source(of: at.node).name, line: at.node.mark?.line, column: at.node.mark?.column,
                                       path: at.path, message))
    }

    private func report(_ severity: ComposeIssue.Severity, _ at: Cursor, _ message: String) {
        issues.append(ComposeIssue(severity, file: source(of: at.node).name, line: at.node.mark?.line, column: at.node.mark?.column,
                                   path: at.path, message))
    }
}

/// A YAML node with its key path (`services.web.ports[1]`). Readers report a
/// wrong shape as an issue at the node's line and return nil.
struct Cursor {
    let node: Node
    let path: String
    let context: LoadContext

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// The folder relative paths of this node start from: its file's.
    var folder: String { context.source(of: node).folder }
    /// The variables this node's file interpolates with.
    var variables: [String: String] { context.source(of: node).interpolator.variables }

    var isNull: Bool {
        guard case let .scalar(scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// Pairs in file order; `<<` merge keys are applied (keys written here win).
    func mapping() -> [(String, Cursor)]? {
        guard case let .mapping(mapping) = node else {
            if !isNull { context.error(self, "expected a mapping") }
            return nil
        }
        var pairs: [(String, Cursor)] = []
        var merged: [(String, Cursor)] = []
        for (keyNode, value) in mapping {
            guard case let .scalar(keyScalar) = keyNode else {
                context.error(Cursor(node: keyNode, path: path, context: context), "keys must be strings")
                continue
            }
            if keyScalar.string == "<<" {
                let sources: [Node] = if case let .sequence(list) = value { Array(list) } else { [value] }
                for source in sources {
                    merged += Cursor(node: source, path: path, context: context).mapping() ?? []
                }
                continue
            }
            pairs.append((keyScalar.string, Cursor(node: value, path: key(keyScalar.string), context: context)))
        }
        let own = Set(pairs.map(\.0))
        for (name, cursor) in merged where !own.contains(name) {
            pairs.append((name, Cursor(node: cursor.node, path: key(name), context: context)))
        }
        return pairs
    }

    func list() -> [Cursor]? {
        guard case let .sequence(sequence) = node else {
            if !isNull { context.error(self, "expected a list") }
            return nil
        }
        return sequence.enumerated().map { Cursor(node: $1, path: "\(path)[\($0)]", context: context) }
    }

    /// A scalar, interpolated; nil (with an issue) for lists and mappings.
    func text() -> String? {
        guard case let .scalar(scalar) = node else {
            context.error(self, "expected a single value")
            return nil
        }
        if isNull { return nil }
        do {
            return try context.source(of: node).interpolator.interpolate(scalar.string)
        } catch let failure as Interpolator.Failure {
            context.error(self, failure.message)
        } catch {
            context.error(self, "\(error)")
        }
        return nil
    }

    func bool() -> Bool? {
        guard let value = text() else { return nil }
        switch value.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default:
            context.error(self, "expected true or false, got \"\(value.prefix(60))\"")
            return nil
        }
    }

    func int() -> Int? {
        guard let value = text() else { return nil }
        guard let number = Int(value) else {
            context.error(self, "expected a whole number, got \"\(value.prefix(60))\"")
            return nil
        }
        return number
    }

    func double() -> Double? {
        guard let value = text() else { return nil }
        guard let number = Double(value), number.isFinite else {
            context.error(self, "expected a number, got \"\(value.prefix(60))\"")
            return nil
        }
        return number
    }

    /// A Go-style duration (`1m30s`, `500ms`) in seconds.
    func duration() -> Double? {
        guard let value = text() else { return nil }
        guard let seconds = Units.duration(value) else {
            context.error(self, "invalid duration \"\(value.prefix(60))\" (use forms like 30s, 1m30s, 500ms)")
            return nil
        }
        return seconds
    }

    /// A byte size (`512m`, `1g`, `1024`) in bytes.
    func bytes() -> Int64? {
        guard let value = text() else { return nil }
        guard let bytes = Units.bytes(value) else {
            context.error(self, "invalid size \"\(value.prefix(60))\" (use forms like 512m, 1g, 65536)")
            return nil
        }
        return bytes
    }

    /// A string or a list of strings.
    func strings() -> [String]? {
        if case .scalar = node { return text().map { [$0] } }
        return list()?.compactMap { $0.text() }
    }

    /// A mapping of scalars, or a list of `KEY=VALUE` (`KEY` alone maps to nil).
    func keyValues(separator: Character = "=") -> [(String, String?)]? {
        if case .sequence = node {
            return list()?.compactMap { item in
                guard let entry = item.text() else { return nil }
                if let split = entry.firstIndex(of: separator) {
                    return (String(entry[..<split]), String(entry[entry.index(after: split)...]))
                }
                return (entry, nil)
            }
        }
        return mapping()?.map { name, value in (name, value.isNull ? nil : value.text()) }
    }

    /// A list of names, or a mapping of name to settings: `depends_on`, service `networks`.
    func namedEntries<T>(_ empty: T, _ read: (inout T, String, Cursor) -> Void) -> [String: T] {
        var result: [String: T] = [:]
        if case .sequence = node {
            for name in strings() ?? [] { result[name] = empty }
            return result
        }
        for (name, entry) in mapping() ?? [] {
            var settings = empty
            for (key, field) in entry.mapping() ?? [] { read(&settings, key, field) }
            result[name] = settings
        }
        return result
    }

    func stringMap() -> [String: String] {
        var map: [String: String] = [:]
        for (name, value) in keyValues() ?? [] { map[name] = value ?? "" }
        return map
    }
}

enum Units {
    static func duration(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if let plain = Double(rest) { return plain >= 0 ? plain : nil }
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard let number = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms")) }) else { return nil }
            total += number * unit.1
            rest = rest.dropFirst(unit.0.count)
        }
        return total
    }

    static func bytes(_ text: String) -> Int64? {
        let lower = text.trimmingCharacters(in: .whitespaces).lowercased()
        let kib = 1024.0
        let factors: [(String, Double)] = [("kb", kib), ("mb", kib * kib), ("gb", kib * kib * kib), ("tb", kib * kib * kib * kib),
                                           ("k", kib), ("m", kib * kib), ("g", kib * kib * kib), ("t", kib * kib * kib * kib), ("b", 1)]
        for (suffix, factor) in factors where lower.hasSuffix(suffix) {
            guard let number = Double(lower.dropLast(suffix.count)), number >= 0 else { return nil }
            return Int64(number * factor)
        }
        return Int64(lower).flatMap { $0 >= 0 ? $0 : nil }
    }
}

/// Splits a command line like a POSIX shell would for words: spaces separate,
/// single and double quotes group, backslash escapes. No expansion; nil for
/// an unterminated quote or a trailing backslash.
public enum ShellSplit {
    public static func words(_ text: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped { current.append(character); escaped = false; inWord = true; continue }
            if character == "\\" && quote != "'" { escaped = true; continue }
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
                continue
            }
            if character == "'" || character == "\"" { quote = character; inWord = true; continue }
            if character.isWhitespace {
                if inWord { words.append(current); current = ""; inWord = false }
                continue
            }
            current.append(character)
            inWord = true
        }
        guard quote == nil, !escaped else { return nil }
        if inWord { words.append(current) }
        return words
    }
}
