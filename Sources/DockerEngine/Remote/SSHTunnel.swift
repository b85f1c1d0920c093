import Foundation
import Logging

/// One supervised `ssh -N -L local.sock:remote.sock`: its files live in `directory`
/// (the key 0600, a known_hosts holding only the pinned key under a HostKeyAlias, the socket).
final class SSHTunnel: @unchecked Sendable {
    let endpoint: SSHEndpoint
    let directory: String
    private let logger: Logger
    private let lock = NSLock()
    private var child: ChildProcess?
    private var starting: Task<Void, Error>?
    private var keyChecked = false
    private var starts = 0
    /// Set by `stop()`: a start still in flight must not leave its ssh behind.
    private var stopped = false

    /// How long a start may take before it counts as a timeout (ssh's own ConnectTimeout is 5 s).
    static let startTimeout: Double = 20

    init(endpoint: SSHEndpoint, directory: String, logger: Logger) {
        self.endpoint = endpoint
        self.directory = directory
        self.logger = logger
    }

    var socketPath: String { (directory as NSString).appendingPathComponent("docker.sock") }
    private var keyPath: String { (directory as NSString).appendingPathComponent("key") }
    private var knownHostsPath: String { (directory as NSString).appendingPathComponent("known_hosts") }
    /// The name ssh looks the host key up under, so the pinned line is independent of address and port.
    private var alias: String { "jarvis-" + (directory as NSString).lastPathComponent }

    var processID: Int32? { lock.withLock { child.flatMap { $0.isRunning ? $0.pid : nil } } }

    /// After a request found the tunnel's socket dead while ssh still runs (the socket
    /// file was removed, ssh hangs): end that ssh, so the next request starts a new one.
    func recoverIfDead() {
        let running = lock.withLock { child }
        guard let running, running.isRunning, !Self.accepts(socketPath) else { return }
        lock.withLock { if child === running { child = nil } }
        kill(running.pid, SIGTERM)
    }

    /// The local socket, once the tunnel accepts connections; starts ssh when it is not running.
    func socket() async throws -> String {
        let task: Task<Void, Error>? = lock.withLock {
            if let child, child.isRunning { return nil }
            if let starting { return starting }
            let task = Task { try await self.start() }
            starting = task
            return task
        }
        guard let task else { return socketPath }
        defer { lock.withLock { if starting == task { starting = nil } } }
        try await task.value
        return socketPath
    }

    func stop() {
        let running = lock.withLock { () -> ChildProcess? in defer { child = nil; stopped = true }; return child }
        if let running, running.isRunning { kill(running.pid, SIGTERM) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func start() async throws {
        guard let line = endpoint.knownHostsLine, !line.isEmpty else {
            throw EngineError(.invalidCredentials, message: "no pinned host key for \(endpoint): probe the host and confirm its key first")
        }
        let pinned = try SSHHostKey(line: line)
        try SSHTunnels.makePrivateDirectory(directory)
        guard socketPath.utf8.count < 104 else {
            throw EngineError(.invalidArgument, message: "the SSH tunnel socket path \(socketPath) is too long for a unix socket: set a shorter SSHTunnels.directory")
        }
        try Self.writePrivate(keyPath, Self.normalizedKey(endpoint.privateKeyPEM))
        try Self.writePrivate(knownHostsPath, "\(alias) \(pinned.knownHostsLine)\n")
        if !lock.withLock({ keyChecked }) {
            try await checkKey()
            lock.withLock { keyChecked = true }
        }
        unlink(socketPath)
        let restart = lock.withLock { () -> Bool in starts += 1; return starts > 1 }
        let logger = self.logger
        let label = endpoint.description
        let child = try ChildProcess(SSHTunnels.sshPath, arguments(), captureStdout: false) { line in
            let text = SSHTunnel.filter(line).trimmingCharacters(in: .whitespaces)
            if !text.isEmpty { logger.warning("ssh reported", metadata: ["host": "\(label)", "line": "\(text)"]) }
        }
        if restart {
            logger.notice("SSH tunnel restarted", metadata: ["host": "\(label)", "pid": "\(child.pid)"])
        } else {
            logger.debug("SSH tunnel started", metadata: ["host": "\(label)", "pid": "\(child.pid)"])
        }
        let deadline = Date().addingTimeInterval(Self.startTimeout)
        while Date() < deadline {
            if !child.isRunning {
                let status = await child.waitForExit()
                throw await failure(stderr: child.standardError, status: status, pinned: pinned)
            }
            if Self.accepts(socketPath) {
                let kept = lock.withLock { () -> Bool in
                    if !stopped { self.child = child }
                    return !stopped
                }
                guard kept else {
                    kill(child.pid, SIGTERM)
                    throw EngineError(.cancelled, message: "the SSH tunnel to \(endpoint) was stopped while it started")
                }
                return
            }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        kill(child.pid, SIGKILL)
        throw EngineError(.timeout, message: "the SSH connection to \(endpoint) did not come up within \(Int(Self.startTimeout)) s")
    }

    private func arguments() -> [String] {
        let options = [
            "BatchMode=yes", "ExitOnForwardFailure=yes", "StrictHostKeyChecking=yes",
            "UserKnownHostsFile=\(knownHostsPath)", "GlobalKnownHostsFile=/dev/null", "HostKeyAlias=\(alias)",
            "UpdateHostKeys=no", "CheckHostIP=no", "IdentitiesOnly=yes", "IdentityAgent=none", "IdentityFile=\(keyPath)",
            "PreferredAuthentications=publickey", "PasswordAuthentication=no", "KbdInteractiveAuthentication=no",
            "ConnectTimeout=5", "ServerAliveInterval=15", "ServerAliveCountMax=3",
            "StreamLocalBindUnlink=yes", "StreamLocalBindMask=0177", "ControlMaster=no", "ControlPath=none",
            "LogLevel=ERROR",
        ]
        // -F /dev/null: no user or system ssh_config changes what this tunnel does.
        return ["-N", "-T", "-F", "/dev/null"] + options.flatMap { ["-o", $0] }
            + ["-p", String(endpoint.port), "-l", endpoint.user, "-L", "\(socketPath):\(endpoint.remoteSocket)", "--", endpoint.host]
    }

    /// Reads why ssh exited into the matching code.
    private func failure(stderr: String, status: Int32, pinned: SSHHostKey) async -> EngineError {
        let text = Self.filter(stderr)
        let lower = text.lowercased()
        let target = "\(DockerHost.bracketed(endpoint.host)):\(endpoint.port)"
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let lastLine = lines.last ?? "exit \(ChildProcess.exitCode(status))"
        if lower.contains("host key verification failed") || lower.contains("remote host identification has changed") {
            let presented = (try? await SSHHostKey.scan(host: endpoint.host, port: endpoint.port)) ?? []
            let shown = presented.first { $0.type == pinned.type } ?? presented.first
            let now = shown.map { "\($0.fingerprint) (\($0.type))" } ?? "unknown (ssh-keyscan read no key)"
            return EngineError(.hostKeyChanged, message: "the SSH host key of \(endpoint) changed: pinned \(pinned.fingerprint) (\(pinned.type)), "
                + "presented \(now). If the host was reinstalled, check the new key and update the host")
        }
        if lower.contains("permission denied") || lower.contains("too many authentication failures") {
            return EngineError(.sshAuthFailed, message: "\(endpoint) refused our key (\(lastLine)): is its public key in ~\(endpoint.user)/.ssh/authorized_keys?")
        }
        if lower.contains("connection refused") {
            return EngineError(.connectionRefused, message: "nothing accepts SSH connections at \(target) (connection refused)")
        }
        if lower.contains("timed out") {
            return EngineError(.timeout, message: "no SSH answer from \(target) within 5 s")
        }
        if lower.contains("load key") || lower.contains("invalid format") || lower.contains("libcrypto") {
            return EngineError(.invalidCredentials, message: "ssh cannot use the private key: \(lastLine)")
        }
        return EngineError(.engineUnreachable, message: "the SSH tunnel to \(endpoint) ended: \(lastLine)")
    }

    /// `ssh-keygen -y` reads the public half: a key ssh cannot load fails here, with its reason.
    private func checkKey() async throws {
        let (code, _, errors) = try await ChildProcess.run(SSHTunnels.keygenPath, ["-y", "-P", "", "-f", keyPath], timeout: 10)
        guard code != 0 else { return }
        let reason = Self.filter(errors).trimmingCharacters(in: .whitespacesAndNewlines)
        if reason.contains("passphrase") {
            throw EngineError(.invalidCredentials, message: "the SSH private key is protected by a passphrase: Jarvis needs a key without one")
        }
        throw EngineError(.invalidCredentials, message: "the SSH private key cannot be read (\(reason.isEmpty ? "invalid format" : reason))")
    }

    /// Pasted keys may have CR LF line ends or miss the last newline; OpenSSH wants neither.
    static func normalizedKey(_ pem: String) -> String {
        var text = pem.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        text += "\n"
        return text
    }

    /// Writes `text` to a fresh file with mode 0600 (never through a symlink).
    static func writePrivate(_ path: String, _ text: String) throws {
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw EngineError(.invalidArgument, message: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw EngineError(.invalidArgument, message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// True when something accepts connections on the unix socket at `path`.
    static func accepts(_ path: String) -> Bool {
        let fd = Foundation.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
        }
    }

    /// ssh's stderr without anything that could be key material (long base64 runs)
    /// or our private file names (`Load key "/tmp/…/key": …`).
    static func filter(_ text: String) -> String {
        text.replacingOccurrences(of: "[A-Za-z0-9+/=]{32,}", with: "[…]", options: .regularExpression)
            .replacingOccurrences(of: #"Load key "[^"]*": "#, with: "", options: .regularExpression)
    }
}
