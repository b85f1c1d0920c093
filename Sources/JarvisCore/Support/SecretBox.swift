import Crypto
import Foundation

/// Seals secrets at rest (registry passwords, notification tokens) with
/// AES-256-GCM under a key kept in a 0600 file. Sealed text: `v1:<base64>`
/// of nonce, ciphertext and tag; any change to it fails to open.
public struct SecretBox: Sendable {
    private let key: SymmetricKey

    public init(key: [UInt8]) { self.key = SymmetricKey(data: key) }

    /// The box whose key lives in `data_dir/keys/secrets.key` (created on first use).
    public static func load(dataDir: String) throws -> SecretBox {
        SecretBox(key: try SecretFile.loadOrCreate(path: dataDir + "/keys/secrets.key"))
    }

    public func seal(_ plaintext: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw JarvisError(500, "internal", "cannot seal secret") }
        return "v1:" + combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard sealed.hasPrefix("v1:"), let data = Data(base64Encoded: String(sealed.dropFirst(3))) else {
            throw JarvisError(500, "secret_unreadable", "sealed secret has an unknown format")
        }
        do {
            let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: key)
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw JarvisError(500, "secret_unreadable", "sealed secret failed its integrity check (wrong key or tampered)")
        }
    }
}
