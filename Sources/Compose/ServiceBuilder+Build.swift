import Foundation

/// A service's `build` section.
extension ServiceBuilder {
    /// The `build` key: a context path, or the long form.
    func build(_ value: Cursor) -> BuildSpec? {
        if case .scalar = value.node {
            guard let context = value.text() else { return nil }
            return BuildSpec(context: resolveContext(context, value))
        }
        var spec = BuildSpec(context: value.folder)
        for (key, field) in value.mapping() ?? [] {
            switch key {
            case "context": spec.context = field.text().map { resolveContext($0, field) } ?? value.folder
            case "dockerfile": spec.dockerfile = field.text()
            case "args": spec.args = field.stringMap()
            case "target": spec.target = field.text()
            case "no_cache": spec.noCache = field.bool() ?? false
            case "pull": spec.pull = field.bool() ?? false
            case "dockerfile_inline": spec.dockerfileInline = field.text()
            case "cache_from": spec.cacheFrom = field.strings() ?? []
            case "tags": spec.tags = field.strings() ?? []
            case "labels": spec.labels = field.stringMap()
            case "network":
                spec.network = field.text()
                if spec.network == "host" { context.hostAccess(field, "builds with the host's network stack") }
                // container:<id> or a named network: the engine rules (HostAccessRules.build) allow only these to operators.
                else if let mode = spec.network, !["default", "bridge", "none"].contains(mode) {
                    context.hostAccess(field, "builds in the network \(mode), not the engine's own bridge")
                }
            case "shm_size": spec.shmSize = field.bytes()
            case "extra_hosts": spec.extraHosts = extraHosts(field)
            case "isolation": spec.isolation = field.text()
            case "platforms": spec.platforms = field.strings() ?? []
            // The classic builder (POST /build without a BuildKit session) has no way to pass these.
            case "secrets", "ssh", "additional_contexts", "cache_to", "entitlements", "privileged", "no_cache_filter":
                if case .scalar = field.node, field.isNull { continue }
                spec.needsBuildKit.append(key)
            default:
                if !key.hasPrefix("x-") { context.warning(field, "unsupported build setting, ignored") }
            }
        }
        if spec.dockerfile != nil && spec.dockerfileInline != nil {
            context.error(value, "dockerfile and dockerfile_inline cannot both be set")
        }
        if spec.platforms.count > 1 { context.error(value, "build.platforms lists \(spec.platforms.count) platforms: a single engine builds one (leave one, or use docker buildx)") }
        return spec
    }

    private func resolveContext(_ context: String, _ cursor: Cursor) -> String {
        let remote = ["https://", "http://", "git://", "git@", "github.com/"].contains { context.hasPrefix($0) }
        if remote { return context }
        guard let path = hostPath(context, cursor) else { return context }
        if !Paths.isInside(path, folder) { self.context.hostAccess(cursor, "builds from the host folder \(path), outside the stack's folder") }
        return path
    }
}
