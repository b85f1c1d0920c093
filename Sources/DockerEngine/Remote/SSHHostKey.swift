import Crypto
import Foundation

/// An SSH server's host key as the probe saw it, and as it is pinned.
public struct SSHHostKey: Sendable, Equatable {
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …
    public let type: String
    /// `SHA256:` + unpadded base64 of the key blob's SHA-256, as `ssh-keygen -l` prints it.
    public let fingerprint: String
    /// `type base64`: the value to keep as `SSHEndpoint.knownHostsLine`.
    public let knownHostsLine: String

    /// Reads a key from `type base64`, or a whole known_hosts / ssh-keyscan line (`host type base64 [comment]`).
    public init(line: String) throws {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let index = fields.firstIndex(where: Self.isKeyType), index + 1 < fields.count,
              let blob = Data(base64Encoded: fields[index + 1]), !blob.isEmpty else {
            throw EngineError(.invalidCredentials, message: "not an SSH host key (expected \"ssh-ed25519 AAAA…\"): \(line.prefix(40))…")
        }
        type = fields[index]
        knownHostsLine = "\(fields[index]) \(fields[index + 1])"
        fingerprint = Self.fingerprint(blob)
    }

    /// `SHA256:…` of a key blob.
    static func fingerprint(_ blob: Data) -> String {
        var text = Data(SHA256.hash(data: blob)).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return "SHA256:" + text
    }

    private static func isKeyType(_ field: String) -> Bool {
        field.hasPrefix("ssh-") || field.hasPrefix("ecdsa-sha2-") || field.hasPrefix("sk-")
    }

    /// Preference when a server offers several keys: the one OpenSSH's client would pick first.
    var preference: Int {
        if type == "ssh-ed25519" { return 0 }
        if type.hasPrefix("ecdsa-") { return 1 }
        if type.hasPrefix("sk-") { return 2 }
        return 3
    }

    /// The keys `host` presents now (`ssh-keyscan -T 5`), best first. Throws the reason when none came.
    public static func scan(host: String, port: Int) async throws -> [SSHHostKey] {
        let (code, output, errors) = try await ChildProcess.run(SSHTunnels.keyscanPath, ["-T", "5", "-p", String(port), "--", host], timeout: 15)
        let keys = output.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { try? SSHHostKey(line: String($0)) }
        if keys.isEmpty {
            let target = "\(DockerHost.bracketed(host)):\(port)"
            let reason = SSHTunnel.filter(errors).trimmingCharacters(in: .whitespacesAndNewlines)
            switch TCPReachability.check(host: host, port: port) {
            case .refused:
                throw EngineError(.connectionRefused, message: "nothing accepts SSH connections at \(target) (connection refused)")
            case .timedOut:
                throw EngineError(.timeout, message: "no SSH answer from \(target) within 5 s")
            case .unresolved:
                throw EngineError(.engineUnreachable, message: "cannot resolve the SSH host \(host)")
            case let .failed(why):
                throw EngineError(.engineUnreachable, message: "cannot connect to \(target): \(why)")
            case .accepts:
                let detail = reason.isEmpty ? "ssh-keyscan exit \(code)" : reason
                throw EngineError(.engineUnreachable, message: "\(target) accepts connections but presented no SSH host key (\(detail)): is it an SSH server?")
            }
        }
        return keys.sorted { $0.preference < $1.preference }
    }
}
