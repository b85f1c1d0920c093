import Foundation

/// `volumes` entries of a service, and what `~` and relative host paths mean.
extension ServiceBuilder {
    /// One `volumes` entry, short or long syntax.
    func mount(_ value: Cursor) -> ServiceMount? {
        if case .mapping = value.node {
            var mount = ServiceMount(kind: .volume, source: nil, target: "")
            for (key, field) in value.mapping() ?? [] {
                switch key {
                case "type":
                    guard let text = field.text() else { continue }
                    if text == "npipe" {
                        context.error(field, "volume type npipe mounts a Windows named pipe: it works only on Windows engines, and Jarvis deploys to Linux engines")
                        return nil
                    }
                    if text == "cluster" {
                        context.error(field, "volume type cluster needs Swarm cluster volumes, which a single engine does not have")
                        return nil
                    }
                    guard let kind = ServiceMount.Kind(rawValue: text) else {
                        context.error(field, "volume type is volume, bind, tmpfs or image, not \"\(text)\"")
                        return nil
                    }
                    mount.kind = kind
                case "source": mount.source = field.text()
                case "target": mount.target = field.text() ?? ""
                case "read_only": mount.readOnly = field.bool() ?? false
                case "bind":
                    for (option, setting) in field.mapping() ?? [] {
                        switch option {
                        case "create_host_path": mount.createHostPath = setting.bool() ?? true
                        case "recursive":
                            mount.recursive = setting.text()
                            if let mode = mount.recursive, !["enabled", "disabled", "writable", "readonly"].contains(mode) {
                                context.error(setting, "recursive is enabled, disabled, writable or readonly, not \"\(mode)\"")
                            }
                        case "propagation":
                            mount.propagation = setting.text()
                            if let mode = mount.propagation, !Self.propagations.contains(mode) {
                                context.error(setting, "propagation is one of \(Self.propagations.joined(separator: ", ")), not \"\(mode)\"")
                            }
                        case "selinux":
                            mount.selinux = setting.text()
                            if let label = mount.selinux, !["z", "Z"].contains(label) { context.error(setting, "selinux is z or Z, not \"\(label)\"") }
                        default: context.warning(setting, "unsupported bind setting, ignored")
                        }
                    }
                case "volume":
                    for (option, setting) in field.mapping() ?? [] {
                        switch option {
                        case "nocopy": mount.noCopy = setting.bool() ?? false
                        case "subpath": mount.subpath = setting.text()
                        default: context.warning(setting, "unsupported volume setting, ignored")
                        }
                    }
                case "tmpfs":
                    for (option, setting) in field.mapping() ?? [] {
                        switch option {
                        case "size": mount.tmpfsSize = setting.bytes()
                        case "mode":
                            // Octal as written (`1777`, `0o755`), as compose-go reads it.
                            guard let text = setting.text() else { continue }
                            let digits = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
                            guard let mode = Int(digits, radix: 8) else { context.error(setting, "tmpfs mode is octal, such as 1777, not \"\(text)\""); continue }
                            mount.tmpfsMode = mode
                        default: context.warning(setting, "unsupported tmpfs setting, ignored")
                        }
                    }
                case "image":
                    for (option, setting) in field.mapping() ?? [] {
                        if option == "subpath" { mount.subpath = setting.text() } else { context.warning(setting, "unsupported image setting, ignored") }
                    }
                case "consistency": break
                default: context.warning(field, "unsupported mount setting, ignored")
                }
            }
            guard mount.target.hasPrefix("/") else { context.error(value, "a mount needs an absolute target"); return nil }
            if mount.kind == .bind, let source = mount.source {
                guard let path = hostPath(source, value) else { return nil }
                mount.source = path
            }
            if mount.kind == .image && mount.source == nil { context.error(value, "an image mount needs a source (the image)"); return nil }
            // Any image on the engine, whichever stack pulled or built it; Jarvis's engine rules keep image mounts for admins.
            if mount.kind == .image, let image = mount.source { context.hostAccess(value, "mounts the files of image \(image)") }
            if mount.kind == .bind && mount.source == nil { context.error(value, "a bind mount needs a source"); return nil }
            if mount.selinux != nil && !mount.createHostPath {
                // The engine's Mounts form has no relabelling; only the Binds form (which creates the path) does.
                context.warning(value, "bind.selinux needs create_host_path; the label is not applied")
                mount.selinux = nil
            }
            return mount
        }
        guard let text = value.text() else { return nil }
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var mode: [String] = []
        if parts.count == 3 { mode = parts.removeLast().split(separator: ",").map(String.init) }
        guard (1...2).contains(parts.count), parts.last!.hasPrefix("/") else {
            context.error(value, "invalid volume \"\(text.prefix(80))\" (SOURCE:TARGET[:MODE] with an absolute TARGET)")
            return nil
        }
        let target = parts.last!
        let readOnly = mode.contains("ro")
        let noCopy = mode.contains("nocopy")
        for option in mode where !["ro", "rw", "nocopy", "z", "Z"].contains(option) && !Self.propagations.contains(option) {
            context.warning(value, "unsupported volume option \"\(option)\", ignored")
        }
        let propagation = mode.first(where: Self.propagations.contains)
        let selinux = mode.first { $0 == "z" || $0 == "Z" }
        guard parts.count == 2, !parts[0].isEmpty else {
            return ServiceMount(kind: .volume, source: nil, target: target, readOnly: readOnly)
        }
        let source = parts[0]
        if source.hasPrefix(".") || source.hasPrefix("/") || source.hasPrefix("~") {
            guard let path = hostPath(source, value) else { return nil }
            return ServiceMount(kind: .bind, source: path, target: target, readOnly: readOnly,
                                propagation: propagation, selinux: selinux)
        }
        return ServiceMount(kind: .volume, source: source, target: target, readOnly: readOnly, noCopy: noCopy)
    }

    /// A host path from the file, absolute; `~` is the stacks folder owner's home (see `HomeFolder`).
    func hostPath(_ path: String, _ cursor: Cursor) -> String? {
        guard path.hasPrefix("~") else { return Paths.resolve(path, in: cursor.folder) }
        switch HomeFolder.expand(path, stackFolder: folder) {
        case let .success(expanded): return (expanded as NSString).standardizingPath
        case let .failure(failure): context.error(cursor, failure.message); return nil
        }
    }

    static let propagations = ["private", "rprivate", "shared", "rshared", "slave", "rslave"]
}
