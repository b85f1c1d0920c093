import CCurl
import Foundation

/// A helper program (ssh, ssh-keyscan, ssh-keygen) run with PR_SET_PDEATHSIG, so it
/// dies with this process even after a crash. Its stdout and stderr are collected by
/// one thread, which also reaps it.
final class ChildProcess: @unchecked Sendable {
    let pid: Int32
    private let lock = NSLock()
    private var stdoutBytes: [UInt8] = []
    private var stderrBytes: [UInt8] = []
    private var exitStatus: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []
    private let onStderrLine: (@Sendable (String) -> Void)?

    /// Starts `path` with `arguments`; stdin is /dev/null. `captureStdout` false sends it to /dev/null.
    init(_ path: String, _ arguments: [String], captureStdout: Bool = true, onStderrLine: (@Sendable (String) -> Void)? = nil) throws {
        self.onStderrLine = onStderrLine
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard null >= 0, jarvis_pipe_cloexec(&errPipe) == 0, !captureStdout || jarvis_pipe_cloexec(&outPipe) == 0 else {
            throw EngineError(.transport, message: "cannot start \(path): \(String(cString: strerror(errno)))")
        }
        let pid = Spawner.shared.spawn(path, [path] + arguments, stdin: null, stdout: captureStdout ? outPipe[1] : null, stderr: errPipe[1])
        close(null)
        close(errPipe[1])
        if captureStdout { close(outPipe[1]) }
        guard pid > 0 else {
            close(errPipe[0])
            if captureStdout { close(outPipe[0]) }
            throw EngineError(.transport, message: "cannot start \(path): \(String(cString: strerror(-pid)))")
        }
        self.pid = pid
        let outFD = captureStdout ? outPipe[0] : -1
        let errFD = errPipe[0]
        let thread = Thread { [self] in collect(stdout: outFD, stderr: errFD) }
        thread.name = "jarvis-child-\(pid)"
        thread.start()
    }

    var isRunning: Bool { lock.withLock { exitStatus == nil } }
    var standardOutput: String { lock.withLock { String(decoding: stdoutBytes, as: UTF8.self) } }
    var standardError: String { lock.withLock { String(decoding: stderrBytes, as: UTF8.self) } }

    /// The wait status once the program ended (after its output was read to the end).
    func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status: Int32? = lock.withLock {
                if let exitStatus { return exitStatus }
                waiters.append(continuation)
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// Exit code for a normal exit, 128 + signal otherwise.
    static func exitCode(_ status: Int32) -> Int32 {
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Runs to the end and returns (exit code, stdout, stderr); killed after `timeout` seconds.
    static func run(_ path: String, _ arguments: [String], timeout: Double) async throws -> (Int32, String, String) {
        let child = try ChildProcess(path, arguments)
        let pid = child.pid
        let timer = DispatchWorkItem { [weak child] in if child?.isRunning == true { kill(pid, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let status = await child.waitForExit()
        timer.cancel()
        return (exitCode(status), child.standardOutput, child.standardError)
    }

    private func collect(stdout outFD: Int32, stderr errFD: Int32) {
        var open: [Int32] = [outFD, errFD].filter { $0 >= 0 }
        var lineBuffer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { break }
            for entry in fds where entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count <= 0 {
                    if count < 0 && errno == EINTR { continue }
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                    continue
                }
                let chunk = buffer[..<count]
                if entry.fd == outFD {
                    lock.withLock { if stdoutBytes.count < 1 << 20 { stdoutBytes += chunk } }
                } else {
                    lock.withLock { if stderrBytes.count < 64 << 10 { stderrBytes += chunk } }
                    lineBuffer += chunk
                    while let newline = lineBuffer.firstIndex(of: UInt8(ascii: "\n")) {
                        onStderrLine?(String(decoding: lineBuffer[..<newline], as: UTF8.self))
                        lineBuffer.removeSubrange(...newline)
                    }
                }
            }
        }
        if !lineBuffer.isEmpty { onStderrLine?(String(decoding: lineBuffer, as: UTF8.self)) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let pending: [CheckedContinuation<Int32, Never>] = lock.withLock {
            exitStatus = status
            defer { waiters = [] }
            return waiters
        }
        for waiter in pending { waiter.resume(returning: status) }
    }
}

/// The one thread that forks helper programs. PR_SET_PDEATHSIG fires when the *thread*
/// that forked ends, so children must come from a thread that lives as long as the process.
final class Spawner: @unchecked Sendable {
    static let shared = Spawner()
    private let condition = NSCondition()
    private var queue: [() -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in
            while true {
                condition.lock()
                while queue.isEmpty { condition.wait() }
                let job = queue.removeFirst()
                condition.unlock()
                job()
            }
        }
        thread.name = "jarvis-spawner"
        thread.start()
    }

    /// Forks and execs on the spawner thread; returns the pid or -errno.
    func spawn(_ path: String, _ argv: [String], stdin: Int32, stdout: Int32, stderr: Int32) -> Int32 {
        let done = DispatchSemaphore(value: 0)
        var result: Int32 = -EINVAL
        condition.lock()
        queue.append {
            var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
            defer { for pointer in cArgs { free(pointer) } }
            result = jarvis_spawn(path, &cArgs, stdin, stdout, stderr, SIGTERM)
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        return result
    }
}
