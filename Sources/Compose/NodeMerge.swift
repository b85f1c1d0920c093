import Foundation
import Yams

/// Merging two YAML trees as the Compose specification's merge rules say (compose-go
/// `override/merge.go` and `override/uncity.go`), for `extends` and multi-file `include`:
/// mappings merge key by key, the overriding value wins for scalars, sequences append and
/// then keep one entry per identity (a volume per target, a port per binding, …), and
/// `command`, `entrypoint`, `healthcheck.test` and each `ulimits` entry are replaced whole.
/// Nodes keep their tags, so every value still knows the file it came from.
enum NodeMerge {
    /// Merges `local` over `base`; `path` is the key path inside a service (`environment`, `build.args`).
    static func service(_ base: Node, _ local: Node) -> Node { merge(base, local, path: "") }

    /// Top-level sections (`networks`, `volumes`, …) merge as plain mappings.
    static func plain(_ base: Node, _ local: Node) -> Node { merge(base, local, path: "x-plain") }

    private static let replaced: Set<String> = ["command", "entrypoint", "healthcheck.test", "network_mode"]
    /// Lists that are mappings in disguise (`KEY=VALUE`, or names): merged by key.
    private static let keyed: Set<String> = ["environment", "labels", "sysctls", "annotations", "build.args", "build.labels",
                                             "deploy.labels", "depends_on", "networks", "extra_hosts", "ulimits"]

    private static func merge(_ base: Node, _ local: Node, path: String) -> Node {
        if replaced.contains(path) || path.hasPrefix("ulimits.") || isNull(local) { return isNull(local) ? base : local }
        if path == "logging", let baseDriver = value(base, "driver")?.string, let localDriver = value(local, "driver")?.string,
           baseDriver != localDriver {
            return local
        }
        if let baseEntries = mappingEntries(base, path: path), let localEntries = mappingEntries(local, path: path) {
            var result = baseEntries
            for (key, node) in localEntries {
                let name = key.string ?? ""
                let child = path.isEmpty ? name : path == "x-plain" ? path : "\(path).\(name)"
                if let index = result.firstIndex(where: { $0.key.string == name }) {
                    result[index] = (result[index].key, merge(result[index].value, node, path: child))
                } else {
                    result.append((key, node))
                }
            }
            return mapping(result, like: local)
        }
        if case let .sequence(baseItems) = base, case let .sequence(localItems) = local {
            var result: [Node] = []
            var positions: [String: Int] = [:]
            for item in Array(baseItems) + Array(localItems) {
                guard let identity = identity(of: item, path: path) else { result.append(item); continue }
                if let index = positions[identity] { result[index] = item } else { positions[identity] = result.count; result.append(item) }
            }
            return .sequence(Node.Sequence(result, localItems.tag, localItems.style, localItems.mark))
        }
        return local
    }

    /// The pairs of a mapping (with `<<` merge keys applied), or of a keyed list turned into one; nil otherwise.
    static func mappingEntries(_ node: Node, path: String = "x-plain") -> [(key: Node, value: Node)]? {
        switch node {
        case let .mapping(mapping):
            var own: [(key: Node, value: Node)] = []
            var merged: [(key: Node, value: Node)] = []
            for (key, value) in mapping {
                if key.string == "<<" {
                    let sources: [Node] = if case let .sequence(list) = value { Array(list) } else { [value] }
                    for source in sources { merged += mappingEntries(source) ?? [] }
                } else {
                    own.append((key, value))
                }
            }
            let names = Set(own.compactMap { $0.key.string })
            return own + merged.filter { !names.contains($0.key.string ?? "") }
        case let .sequence(sequence) where keyed.contains(path):
            return sequence.compactMap { item -> (key: Node, value: Node)? in
                guard case let .scalar(scalar) = item else { return nil }
                let separator: Character? = path == "depends_on" || path == "networks" ? nil
                    : path == "extra_hosts" ? (scalar.string.contains("=") ? "=" : ":") : "="
                guard let separator, let split = scalar.string.firstIndex(of: separator) else {
                    return (item, .scalar(Node.Scalar("", scalar.tag, .plain, scalar.mark)))
                }
                var key = scalar, value = scalar
                key.string = String(scalar.string[..<split])
                value.string = String(scalar.string[scalar.string.index(after: split)...])
                value.style = .singleQuoted
                return (.scalar(key), .scalar(value))
            }
        case let .scalar(scalar) where path == "build":
            // `build: ./dir` is `build: {context: ./dir}`.
            return [(.scalar(Node.Scalar("context", scalar.tag, .plain, scalar.mark)), node)]
        default:
            return nil
        }
    }

    static func value(_ node: Node, _ key: String) -> Node? {
        mappingEntries(node)?.first { $0.key.string == key }?.value
    }

    static func mapping(_ entries: [(key: Node, value: Node)], like node: Node) -> Node {
        let (tag, style, mark): (Tag, Node.Mapping.Style, Mark?) = if case let .mapping(mapping) = node {
            (mapping.tag, mapping.style, mapping.mark)
        } else {
            (node.mappingTag, .any, node.mark)
        }
        return .mapping(Node.Mapping(entries.map { ($0.key, $0.value) }, tag, style, mark))
    }

    private static func isNull(_ node: Node) -> Bool {
        guard case let .scalar(scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// What makes two entries of a list the same entry (the later one wins); nil keeps both.
    private static func identity(of item: Node, path: String) -> String? {
        switch item {
        case let .scalar(scalar):
            let text = scalar.string
            switch path {
            case "volumes":
                let parts = text.split(separator: ":", omittingEmptySubsequences: false)
                return "target:" + String(parts.count >= 2 ? parts[1] : parts[0])
            case "devices":
                let parts = text.split(separator: ":")
                return "device:" + String(parts.count >= 2 ? parts[1] : parts.first ?? "")
            default:
                return "value:" + text
            }
        case .mapping:
            switch path {
            case "volumes", "devices": return value(item, "target")?.string.map { "target:" + $0 }
            case "secrets", "configs": return (value(item, "target") ?? value(item, "source"))?.string.map { "value:" + $0 }
            case "env_file": return value(item, "path")?.string.map { "value:" + $0 }
            case "ports":
                let fields = ["target", "published", "protocol", "host_ip"].map { value(item, $0)?.string ?? "" }
                return "port:" + fields.joined(separator: "/")
            default: return nil
            }
        default:
            return nil
        }
    }
}

private extension Node {
    /// The tag a mapping built in place of this node carries: its own, so its file is kept.
    var mappingTag: Tag {
        switch self {
        case let .scalar(scalar): return scalar.tag
        case let .sequence(sequence): return sequence.tag
        case let .mapping(mapping): return mapping.tag
        case .alias: return .implicit
        }
    }
}
