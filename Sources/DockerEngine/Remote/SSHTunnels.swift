import Crypto
import Foundation
import Logging

/// The SSH tunnels of this process, one per endpoint (user, host, port, socket, key, pin).
/// Each is an OpenSSH client forwarding a local unix socket to the remote engine socket;
/// curl then talks HTTP to the local socket. Tunnels start on the first request, start
/// again when their ssh died, and end with the process (atexit, and PR_SET_PDEATHSIG after a crash).
public final class SSHTunnels: @unchecked Sendable {
    public static let shared = SSHTunnels()

    static let sshPath = "/usr/bin/ssh"
    static let keyscanPath = "/usr/bin/ssh-keyscan"
    static let keygenPath = "/usr/bin/ssh-keygen"

    private let lock = NSLock()
    private var base = (NSTemporaryDirectory() as NSString).appendingPathComponent("jarvis-ssh-\(getuid())")
    private var tunnels: [String: SSHTunnel] = [:]
    private var exitHookInstalled = false
    let logger = Logger(label: "jarvis.ssh")

    private init() {}

    /// Where tunnels keep their key, known_hosts file and socket (a 0700 directory, one
    /// sub-directory per process and tunnel). Set once, before the first SSH request; keep
    /// it short: unix socket paths end at 108 bytes.
    public var directory: String {
        get { lock.withLock { base } }
        set { lock.withLock { base = newValue } }
    }

    /// The local socket that reaches `endpoint`'s engine, starting the tunnel when needed.
    func socket(for endpoint: SSHEndpoint) async throws -> String {
        try await tunnel(for: endpoint).socket()
    }

    /// True while a tunnel for `endpoint` has a live ssh.
    public func isRunning(_ endpoint: SSHEndpoint) -> Bool {
        lock.withLock { tunnels[Self.id(endpoint)] }?.processID != nil
    }

    /// The pid of the ssh serving `endpoint`, if it runs (diagnostics and tests).
    public func processID(for endpoint: SSHEndpoint) -> Int32? {
        lock.withLock { tunnels[Self.id(endpoint)] }?.processID
    }

    /// Called after a failed request: restarts the tunnel next time if its socket is dead.
    func recover(_ endpoint: SSHEndpoint) {
        lock.withLock { tunnels[Self.id(endpoint)] }?.recoverIfDead()
    }

    /// Ends the tunnel of `endpoint` (a host removed or its settings changed).
    public func stop(_ endpoint: SSHEndpoint) {
        let tunnel = lock.withLock { tunnels.removeValue(forKey: Self.id(endpoint)) }
        tunnel?.stop()
    }

    /// Ends every tunnel and removes this process's directory; runs at process exit.
    public func stopAll() {
        let (all, mine) = lock.withLock { () -> ([SSHTunnel], String) in
            defer { tunnels = [:] }
            return (Array(tunnels.values), (base as NSString).appendingPathComponent(String(getpid())))
        }
        for tunnel in all { tunnel.stop() }
        try? FileManager.default.removeItem(atPath: mine)
    }

    private func tunnel(for endpoint: SSHEndpoint) throws -> SSHTunnel {
        try endpoint.validate()
        let id = Self.id(endpoint)
        return try lock.withLock {
            if let existing = tunnels[id] { return existing }
            let processDirectory = try preparedBase()
            let tunnel = SSHTunnel(endpoint: endpoint, directory: (processDirectory as NSString).appendingPathComponent(id), logger: logger)
            tunnels[id] = tunnel
            if !exitHookInstalled {
                exitHookInstalled = true
                atexit { SSHTunnels.shared.stopAll() }
            }
            return tunnel
        }
    }

    /// `<directory>/<pid>`, created 0700; directories of processes that are gone are removed.
    private func preparedBase() throws -> String {
        try Self.makePrivateDirectory(base)
        let mine = (base as NSString).appendingPathComponent(String(getpid()))
        if !FileManager.default.fileExists(atPath: mine) {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
                if let pid = Int32(entry), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                    try? FileManager.default.removeItem(atPath: (base as NSString).appendingPathComponent(entry))
                }
            }
        }
        try Self.makePrivateDirectory(mine)
        return mine
    }

    /// A directory only we can enter: refuses one that another user owns or a symlink.
    static func makePrivateDirectory(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw EngineError(.invalidArgument, message: "cannot create the SSH tunnel directory \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() else {
            throw EngineError(.invalidArgument, message: "the SSH tunnel directory \(path) is not a directory of this user")
        }
        chmod(path, 0o700)
    }

    /// Short, stable name of an endpoint's tunnel: a different key or pin is a different tunnel.
    static func id(_ endpoint: SSHEndpoint) -> String {
        let text = [endpoint.user, endpoint.host, String(endpoint.port), endpoint.remoteSocket,
                    endpoint.privateKeyPEM, endpoint.knownHostsLine ?? ""].joined(separator: "\u{0}")
        return SHA256.hash(data: Data(text.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
    }
}
