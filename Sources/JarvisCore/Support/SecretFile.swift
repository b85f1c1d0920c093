import Foundation
import JarvisStore

/// A random key kept in a 0600 file, created on first use (see `KeyFile`,
/// which the store shares for the audit chain key).
public enum SecretFile {
    public static func loadOrCreate(path: String, byteCount: Int = 32) throws -> [UInt8] {
        do {
            return try KeyFile.loadOrCreate(path: path, byteCount: byteCount)
        } catch let error as StoreError {
            throw ConfigError(error.description)
        }
    }
}
