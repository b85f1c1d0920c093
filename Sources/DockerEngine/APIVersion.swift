/// An Engine API version such as 1.41, compared numerically.
public struct APIVersion: Comparable, Sendable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(_ major: Int, _ minor: Int) { self.major = major; self.minor = minor }

    public init?(_ text: String) {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.init(major, minor)
    }

    /// Docker 20.10, the oldest engine Jarvis supports.
    public static let oldestSupported = APIVersion(1, 41)
    /// The newest API this client knows; newer engines are spoken to at this version.
    public static let newestKnown = APIVersion(1, 47)

    public static func < (a: APIVersion, b: APIVersion) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
    public var description: String { "\(major).\(minor)" }

    /// min(ours, the engine's), refusing engines older than we support.
    public static func negotiate(engine: APIVersion) throws -> APIVersion {
        guard engine >= oldestSupported else {
            throw EngineError(.engineTooOld,
                              message: "engine speaks API \(engine), Jarvis needs at least \(oldestSupported) (Docker 20.10)")
        }
        return min(engine, newestKnown)
    }
}
