@testable import Compose
import Foundation
import XCTest

/// Golden fixtures for the keys of issue 15: each file in Fixtures/keys loads to a canonical form and
/// engine bodies kept beside it (`<name>.golden`). `JARVIS_UPDATE_GOLDEN=1 swift test --filter ComposeKeysTests`
/// rewrites them after a deliberate change; review the diff like code.
final class ComposeKeysTests: XCTestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/keys")

    /// Loads `yaml` as the stack `app` in a fresh stacks folder (so `~` is that folder's owner's home).
    private func load(_ yaml: String) throws -> (ComposeProject, String) {
        let stacks = NSTemporaryDirectory() + "compose-keys-\(UUID().uuidString)"
        let folder = stacks + "/app"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: stacks) }
        return (try ComposeLoader().load(folder: folder, name: "app", text: yaml, envText: ""), folder)
    }

    /// The golden text: per service its canonical form and create body (labels left out: they hold the hash), network bodies, findings.
    private func render(_ project: ComposeProject, folder: String, apiMinor: Int) throws -> String {
        let spec = EngineSpec(project: project, apiMinor: apiMinor)
        let encoder = JSONEncoder()
        var services: [String: Any] = [:]
        for name in project.services.keys.sorted() {
            let service = project.services[name]!
            let canonical = try JSONSerialization.jsonObject(with: encoder.encode(service))
            var body = spec.containerBody(for: service, number: 1, materialized: { key, _ in "/generated/\(key)" })
            body["Labels"] = nil
            var endpoints: [String: Any] = [:]
            for key in spec.networkKeys(for: service).dropFirst() {
                endpoints[project.networks[key]!.name] = spec.endpoint(for: service, network: key)
            }
            services[name] = ["canonical": canonical, "create": body, "connect": endpoints]
        }
        var networks: [String: Any] = [:]
        for key in project.networks.keys.sorted() { networks[key] = spec.networkBody(key) }
        let document: [String: Any] = [
            "services": services, "networks": networks,
            "warnings": project.warnings.map(\.description), "hostAccess": project.hostAccess.map(\.description),
            "unsupportedByEngine": spec.unsupportedByEngine(),
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        let home = String(cString: getpwuid(getuid())!.pointee.pw_dir)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: folder, with: "$STACK")
            .replacingOccurrences(of: home + "/", with: "$HOME/") + "\n"
    }

    private func assertGolden(_ name: String, apiMinor: Int = 47, file: StaticString = #filePath, line: UInt = #line) throws {
        let yaml = try String(contentsOf: Self.fixtures.appendingPathComponent(name + ".yaml"), encoding: .utf8)
        let (project, folder) = try load(yaml)
        let text = try render(project, folder: folder, apiMinor: apiMinor)
        let url = Self.fixtures.appendingPathComponent(name + (apiMinor == 47 ? "" : "-api\(apiMinor)") + ".golden")
        if ProcessInfo.processInfo.environment["JARVIS_UPDATE_GOLDEN"] == "1" { try text.write(to: url, atomically: true, encoding: .utf8) }
        let expected = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(text, expected, "\(name) differs from its golden file", file: file, line: line)
        XCTAssertFalse(text.contains(", ignored"), "no key of \(name) is ignored", file: file, line: line)
    }

    func testResources() throws { try assertGolden("resources") }
    func testDNSHostsAndAnnotations() throws { try assertGolden("dns-and-hosts") }
    func testLinks() throws { try assertGolden("links") }
    func testNetworkAttachments() throws {
        try assertGolden("networks")
        // An engine before API 1.44 takes the service's address on the container, and refuses the per-network one.
        try assertGolden("networks", apiMinor: 41)
    }
    func testDeviceRequests() throws { try assertGolden("devices") }
    func testHostNamespaces() throws { try assertGolden("host-namespaces") }
    func testHooks() throws { try assertGolden("hooks") }
    func testBuildKeys() throws { try assertGolden("build") }
    func testImageMountsHomePathsAndPullPolicies() throws {
        try assertGolden("mounts-and-pull")
        try assertGolden("mounts-and-pull", apiMinor: 41)
    }
}
