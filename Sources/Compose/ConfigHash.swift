import Crypto
import Foundation

/// The `com.docker.compose.config-hash` label. Follows Compose v2's rule:
/// a SHA-256 over the service definition without the fields that do not shape
/// the container (build, pull_policy, replicas, depends_on, profiles). The
/// bytes hashed are Jarvis's canonical JSON, not compose-go's, so the value
/// differs from the CLI's: each tool recreates the other's containers once.
public enum ConfigHash {
    public static func of(_ service: ComposeService) -> String {
        var shaped = service
        shaped.build = nil
        shaped.pullPolicy = nil
        shaped.replicas = 1
        shaped.dependsOn = [:]
        shaped.profiles = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = (try? encoder.encode(shaped)) ?? Data()
        return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
