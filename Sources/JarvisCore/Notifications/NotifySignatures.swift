import Crypto
import Foundation

/// The signatures chat services and webhook receivers check (pure; unit tests hold them to vectors
/// computed with Python's hmac).
public enum NotifySignatures {
    static func hmac(key: [UInt8], data: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key)))
    }

    /// Feishu/Lark custom bot: base64 of HMAC-SHA256 keyed with `timestamp + "\n" + secret` over an empty message
    /// (timestamp in seconds).
    public static func feishu(timestamp: Int64, secret: String) -> String {
        Data(hmac(key: Array("\(timestamp)\n\(secret)".utf8), data: [])).base64EncodedString()
    }

    /// DingTalk custom robot: URL-encoded base64 of HMAC-SHA256 keyed with the secret over
    /// `timestamp + "\n" + secret` (timestamp in milliseconds).
    public static func dingtalk(timestampMillis: Int64, secret: String) -> String {
        let signature = Data(hmac(key: Array(secret.utf8), data: Array("\(timestampMillis)\n\(secret)".utf8))).base64EncodedString()
        return percentEncode(signature)
    }

    /// Jarvis's generic webhook: `sha256=` and the hex HMAC-SHA256 keyed with the channel's secret over
    /// `timestamp + "." + body` (timestamp in seconds, also sent as `X-Jarvis-Timestamp`).
    public static func webhook(timestamp: Int64, body: [UInt8], secret: String) -> String {
        let mac = hmac(key: Array(secret.utf8), data: Array("\(timestamp).".utf8) + body)
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Percent-encoding of everything but unreserved characters (so `+`, `/` and `=` of base64 are encoded).
    public static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
