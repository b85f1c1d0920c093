import DockerEngine
import Foundation
import JarvisStore

/// One health check of an engine: the `_ping` round trip is the latency; `/version`
/// and `/info` give the facts the Hosts page shows, read when asked for (they
/// rarely change, and `/info` is the engine's slowest cheap call). Connect 5 s, answer 30 s.
public enum HostHealth {
    public static func check(_ client: DockerClient, facts: Bool = true) async -> HostCheckResult {
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            _ = try await client.send(EngineRequest("GET", "/_ping", timeout: 30, versioned: false))
            let latency = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
            guard facts else { return HostCheckResult(online: true, latencyMs: latency, error: nil, engine: nil) }
            async let version = client.version()
            async let info = client.info()
            let facts = try await HostEngineFacts(version: version, info: info, api: client.apiVersion())
            return HostCheckResult(online: true, latencyMs: latency, error: nil, engine: jsonText(facts))
        } catch let error as EngineError {
            return HostCheckResult(online: false, latencyMs: nil, error: error.message, engine: nil)
        } catch {
            return HostCheckResult(online: false, latencyMs: nil, error: "\(error)", engine: nil)
        }
    }
}

/// What an engine says about itself, as stored in `hosts.engine` (the same keys as a probe's facts).
struct HostEngineFacts: Encodable {
    let version: String
    let apiVersion: String
    let os: String
    let kernel: String
    let cpus: Int
    let memoryBytes: Int64
    let storageDriver: String
    let swarm: String
    let name: String

    init(version: SystemVersion, info: SystemInfo, api: APIVersion) {
        self.version = version.version
        apiVersion = "\(api)"
        os = info.operatingSystem ?? version.os ?? ""
        kernel = info.kernelVersion ?? version.kernelVersion ?? ""
        cpus = info.cpus ?? 0
        memoryBytes = info.memTotal ?? 0
        storageDriver = info.driver ?? ""
        swarm = info.swarm?.localNodeState ?? "inactive"
        name = info.name ?? ""
    }
}

/// Host labels: `key=value` tags, stored as a JSON object.
public enum HostLabels {
    static func decode(_ text: String) -> [String: String] {
        guard case let .object(object)? = JSONValue.parse(text) else { return [:] }
        return object.compactMapValues(\.string)
    }
}
