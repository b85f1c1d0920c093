import Crypto
import CryptoExtras
import Foundation

/// scrypt password hashes, self-describing: `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (base64).
/// N = 2^15, r = 8 uses 32 MiB per hash: costly to brute-force, ~50 ms to check.
public struct PasswordHasher: Sendable {
    public var logN: Int
    public var blockSize: Int
    public var parallelism: Int

    public init(logN: Int = 15, blockSize: Int = 8, parallelism: Int = 1) {
        self.logN = logN
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    public func hash(_ password: String) throws -> String {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { [UInt8]($0) }
        let derived = try derive(password, salt: salt, logN: logN, blockSize: blockSize, parallelism: parallelism)
        return ["scrypt", "\(logN)", "\(blockSize)", "\(parallelism)",
                Data(salt).base64EncodedString(), Data(derived).base64EncodedString()].joined(separator: "$")
    }

    /// Constant-time comparison against a stored hash; malformed hashes never match.
    public func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), (10...20).contains(logN),
              let blockSize = Int(parts[2]), let parallelism = Int(parts[3]),
              let salt = Data(base64Encoded: parts[4]), let expected = Data(base64Encoded: parts[5]),
              let actual = try? derive(password, salt: [UInt8](salt), logN: logN, blockSize: blockSize, parallelism: parallelism)
        else { return false }
        return actual.count == expected.count && zip(actual, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Spends the same time as a real check, so unknown users cannot be told apart by timing.
    public func burn(_ password: String) {
        _ = try? derive(password, salt: [UInt8](repeating: 0, count: 16), logN: logN, blockSize: blockSize, parallelism: parallelism)
    }

    private func derive(_ password: String, salt: [UInt8], logN: Int, blockSize: Int, parallelism: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 32,
                                           rounds: 1 << logN, blockSize: blockSize, parallelism: parallelism)
        return key.withUnsafeBytes { [UInt8]($0) }
    }
}
