import Foundation

/// The create form's body: a name, a driver with free options and labels, or for the `local`
/// driver one of the helpers (`mount`) that fill in the options for the user.
public struct VolumeCreateRequest: Decodable, Sendable {
    public var name: String
    public var driver: String?
    public var driverOpts: [String: String]?
    public var labels: [String: String]?
    public var mount: Mount?

    /// A helper for the local driver's options.
    public struct Mount: Decodable, Sendable {
        /// `tmpfs`, `bind`, `nfs` or `cifs`.
        public var type: String
        /// tmpfs: size (`64m`) and mode (`1777`).
        public var size: String?
        public var mode: String?
        /// bind: the host folder.
        public var path: String?
        /// nfs: server address and exported path (`/export/data`); cifs: `//server/share`.
        public var address: String?
        public var share: String?
        /// cifs credentials; the password is never shown again or audited.
        public var username: String?
        public var password: String?
        /// Extra mount options (`nfsvers=4,soft`, `vers=3.0`).
        public var options: String?
    }

    public init(name: String, driver: String? = nil, driverOpts: [String: String]? = nil, labels: [String: String]? = nil, mount: Mount? = nil) {
        self.name = name
        self.driver = driver
        self.driverOpts = driverOpts
        self.labels = labels
        self.mount = mount
    }
}

/// A validated create request: the engine body and what the audit row may show.
public struct VolumeSpec: Sendable {
    public let name: String
    public let driver: String
    public let options: [String: String]
    public let labels: [String: String]
    /// `plain`, `tmpfs`, `bind`, `nfs`, `cifs` or `custom`.
    public let kind: String

    /// A bind of a host folder: admin only, here and at the engine door (`HostAccessRules.driverOptions`).
    public var bindsHostFolder: Bool { kind == "bind" || options["o"].map(VolumeSpec.hasBind) ?? false }

    static func hasBind(_ options: String) -> Bool { options.split(separator: ",").contains { $0 == "bind" || $0 == "rbind" } }

    /// Engine's rule for names (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`), at most 255 bytes.
    public static func validName(_ name: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber, name.count >= 2, name.utf8.count <= 255 else { return false }
        return name.allSatisfy(allowed.contains)
    }

    /// The engine body of `POST /volumes/create`.
    public var body: [String: Any] { ["Name": name, "Driver": driver, "DriverOpts": options, "Labels": labels] }

    /// The options as shown to users and audit rows: passwords masked.
    public static func masked(_ options: [String: String]) -> [String: String] {
        options.mapValues { value in
            value.split(separator: ",", omittingEmptySubsequences: false).map { part in
                let lower = part.lowercased()
                return lower.hasPrefix("password=") || lower.hasPrefix("pass=") ? part.split(separator: "=")[0] + "=••••" : part
            }.joined(separator: ",")
        }
    }

    public static func validate(_ request: VolumeCreateRequest) throws -> VolumeSpec {
        let name = request.name.trimmingCharacters(in: .whitespaces)
        guard validName(name) else {
            throw JarvisError.invalidField("name", "\"\(name.prefix(80))\" is not a volume name: 2 to 255 of a-z A-Z 0-9 _ . -, starting with a letter or digit")
        }
        let driver = (request.driver ?? "").isEmpty ? "local" : request.driver ?? "local"
        guard driver.count <= 128, driver.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-/:".contains($0)) }) else {
            throw JarvisError.invalidField("driver", "\"\(driver.prefix(80))\" is not a driver name")
        }
        let labels = request.labels ?? [:]
        for key in labels.keys.sorted() where key.isEmpty || key.utf8.count > 256 || key.contains("=") {
            throw JarvisError.invalidField("labels", "\"\(key.prefix(80))\" is not a label key")
        }
        var options = request.driverOpts ?? [:]
        for key in options.keys.sorted() where key.isEmpty || key.utf8.count > 256 || key.contains("=") {
            throw JarvisError.invalidField("driver_opts", "\"\(key.prefix(80))\" is not an option name")
        }
        guard let mount = request.mount else {
            let kind = driver != "local" ? "custom" : options.isEmpty ? "plain" : options["type"] == "tmpfs" ? "tmpfs" : "custom"
            return VolumeSpec(name: name, driver: driver, options: options, labels: labels, kind: kind)
        }
        guard driver == "local" else { throw JarvisError.invalidField("mount", "the mount helpers are for the local driver; give driver_opts for \(driver)") }
        guard options.isEmpty else { throw JarvisError.invalidField("mount", "give either mount or driver_opts, not both") }
        let extra = try optionList(mount.options, field: "mount.options")
        switch mount.type {
        case "tmpfs":
            var o: [String] = []
            if let size = mount.size, !size.isEmpty {
                guard size.range(of: #"^[0-9]+[kKmMgG]?$"#, options: .regularExpression) != nil else {
                    throw JarvisError.invalidField("mount.size", "\"\(size.prefix(40))\" is not a size such as 64m or 1g")
                }
                o.append("size=\(size)")
            }
            if let mode = mount.mode, !mode.isEmpty {
                guard mode.range(of: #"^[0-7]{3,4}$"#, options: .regularExpression) != nil else {
                    throw JarvisError.invalidField("mount.mode", "\"\(mode.prefix(40))\" is not an octal mode such as 1777")
                }
                o.append("mode=\(mode)")
            }
            options = ["type": "tmpfs", "device": "tmpfs"]
            if !o.isEmpty { options["o"] = o.joined(separator: ",") }
        case "bind":
            let path = mount.path ?? ""
            guard path.hasPrefix("/"), !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }), !path.contains(","),
                  path.utf8.count <= 4096 else {
                throw JarvisError.invalidField("mount.path", "\"\(path.prefix(200))\" is not a clean absolute host folder")
            }
            options = ["type": "none", "o": "bind", "device": path]
        case "nfs":
            let address = try host(mount.address, field: "mount.address")
            let path = mount.path ?? ""
            guard path.hasPrefix("/"), !path.contains(","), path.utf8.count <= 1024 else {
                throw JarvisError.invalidField("mount.path", "give the exported path, such as /export/data")
            }
            options = ["type": "nfs", "o": (["addr=\(address)"] + extra).joined(separator: ","), "device": ":\(path)"]
        case "cifs":
            let share = mount.share ?? ""
            let parts = share.split(separator: "/", omittingEmptySubsequences: false)
            guard share.hasPrefix("//"), parts.count >= 4, !parts[2].isEmpty, !parts[3].isEmpty, !share.contains(",") else {
                throw JarvisError.invalidField("mount.share", "give the share as //server/share")
            }
            let server = try host(String(parts[2]), field: "mount.share")
            var o = ["addr=\(server)"]
            if let username = mount.username, !username.isEmpty {
                guard !username.contains(",") else { throw JarvisError.invalidField("mount.username", "may not contain a comma") }
                o.append("username=\(username)")
            }
            if let password = mount.password, !password.isEmpty {
                guard !password.contains(",") else { throw JarvisError.invalidField("mount.password", "may not contain a comma (the engine splits options on it)") }
                o.append("password=\(password)")
            }
            options = ["type": "cifs", "o": (o + extra).joined(separator: ","), "device": share]
        default:
            throw JarvisError.invalidField("mount.type", "must be tmpfs, bind, nfs or cifs")
        }
        if mount.type != "bind", extra.contains(where: { $0 == "bind" || $0 == "rbind" }) {
            throw JarvisError.invalidField("mount.options", "bind is not an option of \(mount.type); use the bind helper")
        }
        return VolumeSpec(name: name, driver: driver, options: options, labels: labels, kind: mount.type)
    }

    static func optionList(_ text: String?, field: String) throws -> [String] {
        let items = (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for item in items where item.utf8.count > 256 || item.contains(" ") {
            throw JarvisError.invalidField(field, "\"\(item.prefix(40))\" is not a mount option")
        }
        return items
    }

    /// A host name or an IPv4/IPv6 address, nothing that could smuggle options.
    static func host(_ text: String?, field: String) throws -> String {
        let value = (text ?? "").trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty, value.utf8.count <= 253,
              value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]".contains($0)) }) else {
            throw JarvisError.invalidField(field, "\"\(value.prefix(80))\" is not a server name or address")
        }
        return value
    }
}
