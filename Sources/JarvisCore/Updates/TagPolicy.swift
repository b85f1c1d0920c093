import Foundation

/// A version tag such as `1.2.3`, `v1.2`, `2.0.0-rc.1` or `1.25.3-alpine` (the suffix after a
/// non-numeric `-` is a variant when it is not a prerelease marker, and must match to compare).
public struct VersionTag: Comparable, Sendable, Equatable {
    public let raw: String
    public let numbers: [Int]
    /// `rc.1` in `2.0.0-rc.1`: sorts before the release.
    public let prerelease: String?
    /// `alpine` in `1.25.3-alpine`: tags compare only within one variant.
    public let variant: String?
    /// `v` in `v1.2.3`: kept so `v1` never jumps to `1.3`.
    public let prefix: String

    static let prereleaseMarkers = ["alpha", "beta", "rc", "pre", "preview", "dev", "snapshot", "nightly", "canary", "next"]

    public init?(_ tag: String) {
        raw = tag
        var rest = Substring(tag)
        prefix = rest.hasPrefix("v") ? "v" : ""
        rest = rest.dropFirst(prefix.count)
        let core = rest.prefix { $0.isNumber || $0 == "." }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard !core.isEmpty, !core.hasSuffix("."), parts.count <= 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 }) else { return nil }
        numbers = parts.compactMap { Int($0) }
        rest = rest.dropFirst(core.count)
        if rest.isEmpty {
            prerelease = nil
            variant = nil
        } else {
            guard rest.first == "-" || rest.first == "+" else { return nil }
            let suffix = String(rest.dropFirst()).lowercased()
            guard !suffix.isEmpty else { return nil }
            if Self.prereleaseMarkers.contains(where: { suffix.hasPrefix($0) }) {
                prerelease = suffix
                variant = nil
            } else {
                prerelease = nil
                variant = suffix
            }
        }
    }

    public static func < (left: VersionTag, right: VersionTag) -> Bool {
        let count = max(left.numbers.count, right.numbers.count)
        for index in 0..<count {
            let a = index < left.numbers.count ? left.numbers[index] : 0
            let b = index < right.numbers.count ? right.numbers[index] : 0
            if a != b { return a < b }
        }
        switch (left.prerelease, right.prerelease) {
        case (nil, nil): return left.numbers.count < right.numbers.count
        case (.some, nil): return true
        case (nil, .some): return false
        case let (.some(a), .some(b)): return a.compare(b, options: .numeric) == .orderedAscending
        }
    }
}

/// How far a watched versioned tag may move: the newest patch, minor or major above the running tag.
public struct TagPolicy: Sendable, Equatable, Codable {
    public enum Level: String, Sendable, Codable, CaseIterable { case patch, minor, major }

    public var level: Level
    public var include: String?
    public var exclude: String?
    public var prereleases: Bool

    public init(level: Level, include: String? = nil, exclude: String? = nil, prereleases: Bool = false) {
        self.level = level
        self.include = include
        self.exclude = exclude
        self.prereleases = prereleases
    }

    /// Checks the expressions compile; names the field that does not.
    public func validate(field: String) throws {
        for (name, pattern) in [("include", include), ("exclude", exclude)] {
            guard let pattern, !pattern.isEmpty else { continue }
            guard pattern.count <= 256, (try? NSRegularExpression(pattern: pattern)) != nil else {
                throw JarvisError.invalidField("\(field).\(name)", "not a regular expression: \(pattern.prefix(80))")
            }
        }
    }

    /// The newest tag of `tags` this policy allows above `current`, or nil when `current` is newest
    /// (or is not a version: then tag watching does not apply).
    public func newest(above current: String, among tags: [String]) -> String? {
        guard let running = VersionTag(current) else { return nil }
        let includeRE = include.flatMap { $0.isEmpty ? nil : try? NSRegularExpression(pattern: $0) }
        let excludeRE = exclude.flatMap { $0.isEmpty ? nil : try? NSRegularExpression(pattern: $0) }
        func matches(_ expression: NSRegularExpression?, _ text: String) -> Bool {
            expression?.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        let candidates = tags.compactMap(VersionTag.init).filter { tag in
            guard tag.prefix == running.prefix, tag.variant == running.variant, tag.numbers.count == running.numbers.count,
                  tag > running else { return false }
            if tag.prerelease != nil && !prereleases { return false }
            if includeRE != nil && !matches(includeRE, tag.raw) { return false }
            if matches(excludeRE, tag.raw) { return false }
            let same = { (index: Int) in index >= running.numbers.count || tag.numbers[index] == running.numbers[index] }
            switch level {
            case .patch: return same(0) && same(1)
            case .minor: return same(0)
            case .major: return true
            }
        }
        return candidates.max()?.raw
    }
}
