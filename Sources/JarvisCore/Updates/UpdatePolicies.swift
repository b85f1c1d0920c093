import Foundation
import JarvisStore
import Schedule

/// What happens when a container's image has an update.
public enum UpdateMode: String, Sendable, Codable, CaseIterable {
    /// Nothing: no badge, no message.
    case off
    /// A badge and a notification; an operator updates.
    case notify
    /// Jarvis updates by itself, inside the maintenance window, once the new image is old enough.
    case auto
}

/// The policy that applies to one container, and where it came from.
public struct EffectiveUpdatePolicy: Sendable, Equatable, Encodable {
    public var mode: UpdateMode
    public var maintenanceWindow: String?
    public var cooldownHours: Int
    public var tagPolicy: TagPolicy?
    /// `container`, `label`, `stack`, `host` or `default`.
    public var source: String
    /// Who set it (the user auto updates act as), nil for labels and the default.
    public var setBy: Int64?
}

/// The labels a container may carry instead of a policy set in the console (docs/updates.md).
public enum UpdateLabel {
    public static let policy = "jarvis.update.policy"
    public static let window = "jarvis.update.window"
    public static let cooldown = "jarvis.update.cooldown"
    public static let semver = "jarvis.update.semver"
    public static let include = "jarvis.update.include"
    public static let exclude = "jarvis.update.exclude"
    public static let prereleases = "jarvis.update.prereleases"
}

/// A policy as the API takes it.
public struct UpdatePolicyInput: Decodable, Sendable {
    public var mode: String
    public var maintenanceWindow: String?
    public var cooldownHours: Int?
    public var semver: String?
    public var include: String?
    public var exclude: String?
    public var prereleases: Bool?

    /// Checks every field, naming the one that is wrong.
    public func validated() throws -> (mode: UpdateMode, window: String?, cooldown: Int, tagPolicy: TagPolicy?) {
        guard let mode = UpdateMode(rawValue: mode) else {
            throw JarvisError.invalidField("mode", "must be one of off, notify, auto")
        }
        var window: String?
        if let text = maintenanceWindow?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            do {
                _ = try CronExpression(text)
            } catch {
                throw JarvisError.invalidField("maintenance_window", "not a cron expression (\(error)): \(text.prefix(80))")
            }
            window = text
        }
        let cooldown = cooldownHours ?? 0
        guard (0...8760).contains(cooldown) else { throw JarvisError.invalidField("cooldown_hours", "must be 0...8760 hours") }
        var tagPolicy: TagPolicy?
        if let semver, !semver.isEmpty {
            guard let level = TagPolicy.Level(rawValue: semver) else {
                throw JarvisError.invalidField("semver", "must be one of patch, minor, major (or empty: the tag is not watched)")
            }
            tagPolicy = TagPolicy(level: level, include: include, exclude: exclude, prereleases: prereleases ?? false)
            try tagPolicy?.validate(field: "semver")
        }
        return (mode, window, cooldown, tagPolicy)
    }
}

/// Finds the policy of a container: set on the container in the console, else its labels, else its
/// stack's, else the host's default, else `notify`.
public struct UpdatePolicies {
    let database: AppDatabase
    let hostID: Int64
    /// Read once for many lookups (a list of hundreds of containers), else on each.
    let preloaded: [UpdatePolicyRecord]?

    public init(database: AppDatabase, hostID: Int64, preload: Bool = false) {
        self.database = database
        self.hostID = hostID
        // A failed read here only means each lookup reads for itself.
        preloaded = preload ? try? database.updatePolicies(hostID: hostID) : nil
    }

    public func effective(container: String, stack: String?, labels: [String: String]) throws -> EffectiveUpdatePolicy {
        let rows = try preloaded ?? database.updatePolicies(hostID: hostID)
        func stored(_ scope: String, _ target: String) -> EffectiveUpdatePolicy? {
            guard let row = rows.first(where: { $0.scope == scope && $0.target == target }) else { return nil }
            return EffectiveUpdatePolicy(mode: UpdateMode(rawValue: row.mode) ?? .notify, maintenanceWindow: row.maintenanceWindow,
                                         cooldownHours: row.cooldownHours,
                                         tagPolicy: row.tagPolicy.flatMap { try? JSONDecoder().decode(TagPolicy.self, from: Data($0.utf8)) },
                                         source: scope, setBy: row.updatedBy)
        }
        if let policy = stored("container", container) { return policy }
        if let policy = Self.fromLabels(labels) { return policy }
        if let stack, let policy = stored("stack", stack) { return policy }
        if let policy = stored("host", "") { return policy }
        return EffectiveUpdatePolicy(mode: .notify, maintenanceWindow: nil, cooldownHours: 0, tagPolicy: nil, source: "default", setBy: nil)
    }

    /// Labels that do not parse are ignored as a whole (the check's reason says nothing; docs say so).
    static func fromLabels(_ labels: [String: String]) -> EffectiveUpdatePolicy? {
        guard let raw = labels[UpdateLabel.policy] else { return nil }
        let input = UpdatePolicyInput(mode: raw.lowercased(), maintenanceWindow: labels[UpdateLabel.window],
                                      cooldownHours: labels[UpdateLabel.cooldown].flatMap { Int($0) },
                                      semver: labels[UpdateLabel.semver]?.lowercased(), include: labels[UpdateLabel.include],
                                      exclude: labels[UpdateLabel.exclude], prereleases: labels[UpdateLabel.prereleases]?.lowercased() == "true")
        guard let valid = try? input.validated() else { return nil }
        return EffectiveUpdatePolicy(mode: valid.mode, maintenanceWindow: valid.window, cooldownHours: valid.cooldown,
                                     tagPolicy: valid.tagPolicy, source: "label", setBy: nil)
    }
}
