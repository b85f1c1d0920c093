import Compose
import DockerEngine
import Foundation
import JarvisStore

/// States of an update check, as lists and badges show them.
public enum UpdateState: String, Sendable, CaseIterable {
    case upToDate = "up_to_date", updateAvailable = "update_available", unknown, pinned
}

/// Compares what each container of a host runs with what its registry's tag points at now: one HEAD per
/// distinct image and tag (not per container), a GET only when the digest moved (to resolve an index to
/// the host's platform, and read the new image's date). One registry at a time per registry; several at once.
public struct UpdateChecker {
    public struct Scope: Sendable {
        public var containerIDs: Set<String>?
        public var stack: String?
        public init(containerIDs: Set<String>? = nil, stack: String? = nil) { self.containerIDs = containerIDs; self.stack = stack }
    }

    /// What one round found, for the task's result and the benchmark.
    public struct Summary: Encodable, Sendable {
        public var host: String
        public var containers = 0
        public var images = 0
        public var upToDate = 0
        public var updateAvailable = 0
        public var unknown = 0
        public var pinned = 0
        public var headRequests = 0
        public var getRequests = 0
        public var notes: [String] = []
    }

    let host: HostServices
    let database: AppDatabase
    let registry: RegistryClient
    let policies: UpdatePolicies

    public init(host: HostServices, database: AppDatabase, registry: RegistryClient) {
        self.host = host
        self.database = database
        self.registry = registry
        policies = UpdatePolicies(database: database, hostID: host.record.id, preload: true)
    }

    /// One reference to ask about, with what the local images of it already hold.
    private struct Wanted {
        var reference: ImageReference
        var tagPolicy: TagPolicy?
        var platform: (String, String, String?)
        var localDigests: Set<String> = []
    }

    /// What a tag lookup found, shared by every container running that reference.
    private struct Lookup {
        var remote: RemoteManifest?
        var configDigest: String?
        var created: String?
        var newerTag: String?
        var newerDigest: String?
        var error: String?
    }

    public func check(_ scope: Scope = .init(), log: (String) async -> Void = { _ in }) async throws -> Summary {
        let docker = host.docker
        let all = try await docker.containers(ListContainersOptions(all: true))
        let live = Set(all.map(\.id))
        let chosen = all.filter { container in
            if let ids = scope.containerIDs, !ids.contains(container.id) { return false }
            if let stack = scope.stack, container.labels?[ComposeLabel.project] != stack { return false }
            return true
        }
        // The list shows the image id once the tag moved on (someone pulled it here): the configured reference is in the inspect.
        var configured: [String: String] = [:]
        for container in chosen where Self.reference(container.image) == nil {
            configured[container.id] = (try? await docker.container(container.id))?.config.image
        }
        let imageOf = { (container: ContainerSummary) in configured[container.id] ?? container.image }
        var summary = Summary(host: host.name)
        summary.containers = chosen.count
        var images: [String: ImageInspect] = [:]
        for id in Set(chosen.compactMap(\.imageID)) { images[id] = try? await docker.image(id) }

        // The distinct references to ask about, each with the tag policy of the first container that watches it.
        var wanted: [String: Wanted] = [:]
        for container in chosen {
            guard let reference = Self.reference(imageOf(container)), !reference.tag.hasPrefix("sha256:"),
                  let image = (container.imageID.flatMap { images[$0] }), !(image.repoDigests ?? []).isEmpty else { continue }
            let tagPolicy = try policies.effective(container: container.name, stack: container.labels?[ComposeLabel.project],
                                                   labels: container.labels ?? [:]).tagPolicy
            let key = reference.description + (tagPolicy.map { " " + jsonText($0) } ?? "")
            if wanted[key] == nil {
                wanted[key] = Wanted(reference: reference, tagPolicy: tagPolicy,
                                     platform: (image.os ?? "linux", image.architecture ?? "amd64", image.variant))
            }
            wanted[key]?.localDigests.formUnion(Self.digests(of: image))
        }
        summary.images = wanted.count
        let byRegistry = Dictionary(grouping: wanted, by: { $0.value.reference.registry })
        var lookups: [String: Lookup] = [:]
        await withTaskGroup(of: [(String, Lookup)].self) { group in
            var pending = Array(byRegistry.values)
            func next() {
                guard !pending.isEmpty else { return }
                let entries = pending.removeFirst()
                group.addTask {
                    var found: [(String, Lookup)] = []
                    for (key, entry) in entries {
                        found.append((key, await lookup(entry)))
                    }
                    return found
                }
            }
            for _ in 0..<4 { next() }
            for await found in group {
                for (key, value) in found { lookups[key] = value }
                next()
            }
        }

        let now = Timestamp.string()
        var records: [UpdateCheckRecord] = []
        for container in chosen {
            let stack = container.labels?[ComposeLabel.project]
            var record = UpdateCheckRecord(hostID: host.record.id, containerID: container.id, containerName: container.name, stack: stack,
                                           service: container.labels?[ComposeLabel.service], image: imageOf(container),
                                           state: UpdateState.unknown.rawValue, currentDigest: nil, checkedAt: now)
            let image = (container.imageID.flatMap { images[$0] })
            guard let reference = Self.reference(imageOf(container)) else {
                record.reason = "runs an image id, not a name and tag: nothing to compare with a registry"
                records.append(record)
                continue
            }
            record.currentDigest = Self.digest(of: image, repository: reference.repository)
            if reference.tag.hasPrefix("sha256:") {
                record.state = UpdateState.pinned.rawValue
                record.reason = "the reference is a digest"
            } else if (image?.repoDigests ?? []).isEmpty {
                record.reason = "a local image (built or loaded here, never pulled): no registry digest to compare"
            } else {
                let tagPolicy = try policies.effective(container: container.name, stack: stack, labels: container.labels ?? [:]).tagPolicy
                let key = reference.description + (tagPolicy.map { " " + jsonText($0) } ?? "")
                apply(lookups[key] ?? Lookup(error: "not checked"), image: image, to: &record)
            }
            records.append(record)
        }
        for record in records {
            switch UpdateState(rawValue: record.state) {
            case .upToDate: summary.upToDate += 1
            case .updateAvailable: summary.updateAvailable += 1
            case .pinned: summary.pinned += 1
            default: summary.unknown += 1
            }
        }
        try database.saveUpdateChecks(records, hostID: host.record.id, liveContainerIDs: live)
        let counts = registry.requestCounts
        summary.headRequests = counts["HEAD"] ?? 0
        summary.getRequests = counts["GET"] ?? 0
        for (name, limit) in registry.rateLimits {
            try? database.saveRegistryLimit(registry: name, remaining: limit.remaining, windowSeconds: limit.windowSeconds,
                                            backoffUntil: nil, at: now)
        }
        await log("checked \(summary.containers) containers using \(summary.images) images: \(summary.updateAvailable) with an update, "
                  + "\(summary.upToDate) current, \(summary.unknown) unknown, \(summary.pinned) pinned "
                  + "(\(summary.headRequests) HEAD, \(summary.getRequests) GET)")
        return summary
    }

    private func lookup(_ wanted: Wanted) async -> Lookup {
        var found = Lookup()
        let reference = wanted.reference
        do {
            let remote = try await registry.manifestDigest(reference)
            found.remote = remote
            if !wanted.localDigests.contains(remote.digest) {
                // The tag moved. An index may have moved for other platforms only: the config digest of this
                // platform's image (the image id the engine shows) says whether ours changed, and when it was made.
                let platform = (os: wanted.platform.0, architecture: wanted.platform.1, variant: wanted.platform.2)
                let config = try await registry.platformConfig(reference, digest: remote.digest, platform: platform)
                found.configDigest = config.configDigest
                found.created = config.created
            }
            if let tagPolicy = wanted.tagPolicy, let newer = tagPolicy.newest(above: reference.tag, among: try await registry.tags(reference)) {
                found.newerTag = newer
                let tagged = ImageReference(reference.repository, tag: newer) ?? reference
                found.newerDigest = try await registry.manifestDigest(tagged).digest
            }
        } catch {
            found.error = "\(error)"
        }
        return found
    }

    private func apply(_ lookup: Lookup, image: ImageInspect?, to record: inout UpdateCheckRecord) {
        if let error = lookup.error {
            record.reason = error
            return
        }
        guard let remote = lookup.remote else { return }
        if let newerTag = lookup.newerTag {
            record.state = UpdateState.updateAvailable.rawValue
            record.availableTag = newerTag
            record.availableDigest = lookup.newerDigest
            return
        }
        if Self.digests(of: image).contains(remote.digest) || (lookup.configDigest != nil && lookup.configDigest == image?.id) {
            record.state = UpdateState.upToDate.rawValue
        } else {
            record.state = UpdateState.updateAvailable.rawValue
            record.availableDigest = remote.digest
            record.availableCreated = lookup.created
        }
    }

    static func reference(_ image: String) -> ImageReference? {
        if image.hasPrefix("sha256:") || (image.count == 64 && image.allSatisfy(\.isHexDigit)) { return nil }
        return ImageReference(image)
    }

    static func digests(of image: ImageInspect?) -> Set<String> {
        Set((image?.repoDigests ?? []).compactMap { $0.split(separator: "@").last.map(String.init) })
    }

    /// The registry digest of `image` for `repository` (RepoDigests holds `repo@sha256:…` per repository).
    static func digest(of image: ImageInspect?, repository: String) -> String? {
        let digests = image?.repoDigests ?? []
        let match = digests.first { $0.hasPrefix(repository + "@") } ?? digests.first
        return match?.split(separator: "@").last.map(String.init)
    }
}
