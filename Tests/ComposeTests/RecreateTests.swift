@testable import Compose
import Foundation
import XCTest

/// Recreating a container must not lose what it stored, and a service that lives in another
/// service's namespaces must follow that service when it is recreated.
final class RecreateTests: XCTestCase {
    private static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden")
    private static let yaml = """
        services:
          db:
            image: registry.test/db:16
            environment: {MODE: one}
            volumes: [/cache, "data:/named"]
          vpn:
            image: jarvis-test/busybox:latest
          app:
            image: jarvis-test/busybox:latest
            network_mode: service:vpn
          files:
            image: jarvis-test/busybox:latest
            volumes_from: ["db:ro"]
            ipc: service:vpn
        volumes:
          data: {}
        """
    private var project: ComposeProject!

    override func setUpWithError() throws {
        project = try ComposeLoader().load(folder: try emptyFolder(), name: "app", text: Self.yaml)
    }

    private func emptyFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "compose-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        return folder
    }

    private func assertGolden(_ plan: Plan, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.golden.appendingPathComponent(name + ".plan")
        if ProcessInfo.processInfo.environment["JARVIS_UPDATE_GOLDEN"] == "1" {
            try plan.text.write(to: url, atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(plan.text, try String(contentsOf: url, encoding: .utf8), "plan \(name) differs from its golden file", file: file, line: line)
    }

    /// The engine after an `up` of `project`: labels as the executor writes them (EngineSpec), the
    /// db with an anonymous volume at `/cache`, one at its image's VOLUME `/var/lib/db` and the named one.
    private func running(_ project: ComposeProject) -> ObservedProject {
        var observed = ObservedProject(networks: ["app_default"], volumes: ["app_data"],
                                       images: ["registry.test/db:16": "sha256:db", "jarvis-test/busybox:latest": "sha256:b1"],
                                       imageVolumes: ["registry.test/db:16": ["/var/lib/db/"], "jarvis-test/busybox:latest": []])
        let spec = EngineSpec(project: project)
        for name in project.orderedServiceNames {
            let body = spec.containerBody(for: project.services[name]!, number: 1, materialized: { _, _ in "" },
                                          serviceContainer: { "id-\($0)-1" })
            let labels = body["Labels"] as! [String: String]
            var container = ObservedProject.Container(id: "id-\(name)-1", name: "app-\(name)-1", service: name, number: 1,
                                                      configHash: labels[ComposeLabel.configHash], state: "running",
                                                      imageID: name == "db" ? "sha256:db" : "sha256:b1")
            if name == "db" {
                container.mounts = [ObservedMount(type: "volume", name: "anon-cache", destination: "/cache", readWrite: true),
                                    ObservedMount(type: "volume", name: "anon-db", destination: "/var/lib/db", readWrite: true),
                                    ObservedMount(type: "volume", name: "app_data", destination: "/named", readWrite: true)]
            }
            observed.containers.append(container)
        }
        return observed
    }

    func testReferencesToServicesAreDependencies() {
        XCTAssertEqual(project.services["app"]!.dependsOn.keys.sorted(), ["vpn"])
        XCTAssertEqual(project.services["files"]!.dependsOn.keys.sorted(), ["db", "vpn"])
        XCTAssertEqual(project.orderedServiceNames, ["vpn", "app", "db", "files"], "vpn before the services in its namespaces")
    }

    func testAnUnchangedStackIsKeptWithResolvedReferences() throws {
        let plan = try Planner(project: project, observed: running(project)).plan(.up)
        XCTAssertTrue(plan.isEmpty, plan.text)
    }

    func testRecreateKeepsAnonymousVolumes() throws {
        let before = running(project)
        project.services["db"]!.environment["MODE"] = "two"
        try assertGolden(try Planner(project: project, observed: before).plan(.up), "up-db-changed-keeps-volumes")
        try assertGolden(try Planner(project: project, observed: before).plan(.up, renewAnonymousVolumes: true), "up-db-changed-renews-volumes")
        try assertGolden(try Planner(project: project, observed: before).plan(.up, services: ["db"]), "up-service-db-keeps-volumes")
    }

    func testTheNewContainerMountsTheOldVolumes() throws {
        let old = running(project).containers.first { $0.service == "db" }!.mounts
        let db = project.services["db"]!
        let inherited = AnonymousVolumes.inherited(by: db, from: old, imageVolumes: ["/var/lib/db/"])
        XCTAssertEqual(inherited.map(\.destination), ["/cache", "/var/lib/db"], "the named volume is the file's, not inherited")
        let body = EngineSpec(project: project).containerBody(for: db, number: 1, materialized: { _, _ in "" }, inherited: inherited)
        let mounts = ((body["HostConfig"] as! [String: Any])["Mounts"] as! [[String: Any]])
        let sources = Dictionary(uniqueKeysWithValues: mounts.map { ($0["Target"] as! String, $0["Source"] as? String ?? "-") })
        XCTAssertEqual(sources, ["/cache": "anon-cache", "/named": "app_data", "/var/lib/db": "anon-db"])
        XCTAssertEqual(AnonymousVolumes.inherited(by: db, from: old, imageVolumes: []).map(\.destination), ["/cache"])
        var bound = db
        bound.volumes.append(ServiceMount(kind: .bind, source: "/srv/db", target: "/var/lib/db"))
        XCTAssertEqual(AnonymousVolumes.inherited(by: bound, from: old, imageVolumes: ["/var/lib/db"]).map(\.destination), ["/cache"],
                       "a mount the file writes at the path wins over the old volume")
    }

    func testDownWithVolumesRemovesAnonymousVolumes() throws {
        let plan = try Planner(project: project, observed: running(project)).plan(.down, removeVolumes: true)
        XCTAssertTrue(plan.removesAnonymousVolumes)
        try assertGolden(plan, "down-with-anonymous-volumes")
        XCTAssertFalse(try Planner(project: project, observed: running(project)).plan(.down).removesAnonymousVolumes)
    }

    func testChangingTheVPNRecreatesWhatLivesInIt() throws {
        let before = running(project)
        project.services["vpn"]!.environment["REGION"] = "eu"
        let plan = try Planner(project: project, observed: before).plan(.up)
        try assertGolden(plan, "up-vpn-changed")
        let recreated = plan.services.filter { $0.steps.contains { if case .recreateContainer = $0.action { true } else { false } } }.map(\.service)
        XCTAssertEqual(recreated, ["vpn", "app", "files"])
    }

    func testEngineBodiesPointAtTheNewContainers() throws {
        let spec = EngineSpec(project: project)
        let ids = { (service: String) -> String? in "new-\(service)" }
        let app = spec.containerBody(for: project.services["app"]!, number: 1, materialized: { _, _ in "" }, serviceContainer: ids)
        XCTAssertEqual((app["HostConfig"] as! [String: Any])["NetworkMode"] as? String, "container:new-vpn")
        let files = spec.containerBody(for: project.services["files"]!, number: 1, materialized: { _, _ in "" }, serviceContainer: ids)
        let host = files["HostConfig"] as! [String: Any]
        XCTAssertEqual(host["VolumesFrom"] as? [String], ["new-db:ro"])
        XCTAssertEqual(host["IpcMode"] as? String, "container:new-vpn")
        var resolved = project.services["app"]!
        resolved.networkMode = "container:new-vpn"
        XCTAssertEqual((app["Labels"] as! [String: String])[ComposeLabel.configHash], ConfigHash.of(resolved),
                       "the hash covers the container joined, so a new vpn container means a new app container")
    }

    func testContainerModeNamingAServiceContainerFollowsIt() throws {
        let project = try ComposeLoader().load(folder: try emptyFolder(), name: "app", text: """
            services:
              vpn: {image: x, container_name: tunnel}
              app: {image: x, network_mode: "container:tunnel"}
            """)
        XCTAssertEqual(ServiceReferences.services(of: project.services["app"]!, in: project), ["vpn"])
        let body = EngineSpec(project: project).containerBody(for: project.services["app"]!, number: 1, materialized: { _, _ in "" },
                                                              serviceContainer: { $0 == "vpn" ? "abc" : nil })
        XCTAssertEqual((body["HostConfig"] as! [String: Any])["NetworkMode"] as? String, "container:abc")
        XCTAssertEqual(project.hostAccess, [], "a container of the same stack is no host access")
    }
}
