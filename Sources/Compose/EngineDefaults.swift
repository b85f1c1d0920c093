/// What a container gets from the engine anyway, so asking for it hands it
/// nothing of the host. Shared by the Compose file's early host-access
/// findings and Jarvis's host-access policy, so the two never disagree.
public enum EngineDefaults {
    /// Docker's default capability set (moby `oci/caps/defaults.go`).
    public static let capabilities: Set<String> = ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
                                                   "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"]

    /// A capability name as the engine accepts it (`cap_chown`, `CAP_CHOWN`, `chown`) is one of the defaults.
    public static func isDefaultCapability(_ name: String) -> Bool {
        let upper = name.uppercased()
        return capabilities.contains(upper.hasPrefix("CAP_") ? String(upper.dropFirst(4)) : upper)
    }

    /// Security options that only take power away.
    public static func isHarmlessSecurityOption(_ option: String) -> Bool {
        ["no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"].contains(option)
    }

    /// Kernel parameters that belong to the container's own network or IPC namespace (moby `opts/opts.go`).
    public static func isNamespacedSysctl(_ key: String, hostIPC: Bool = false) -> Bool {
        key.hasPrefix("net.") || (!hostIPC && (key.hasPrefix("kernel.shm") || key.hasPrefix("kernel.msg") || key == "kernel.sem"
            || key.hasPrefix("fs.mqueue.")))
    }
}
