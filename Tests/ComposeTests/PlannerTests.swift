@testable import Compose
import Foundation
import XCTest

/// Golden plans: the text an operator previews before `up`, for the situations that matter.
/// `JARVIS_UPDATE_GOLDEN=1 swift test --filter PlannerTests` rewrites the files after a deliberate change.
final class PlannerTests: XCTestCase {
    private var project: ComposeProject!
    private static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden")

    override func setUpWithError() throws {
        project = try ComposeLoader().load(folder: ComposeLoaderTests.fixtures + "/demo", name: "demo")
    }

    private func assertGolden(_ plan: Plan, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.golden.appendingPathComponent(name + ".plan")
        if ProcessInfo.processInfo.environment["JARVIS_UPDATE_GOLDEN"] == "1" {
            try plan.text.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(plan.text, expected, "plan \(name) differs from its golden file", file: file, line: line)
    }

    /// What the engine shows after a complete `up` of `project`.
    private func running(_ project: ComposeProject, state: [String: String] = [:]) -> ObservedProject {
        var observed = ObservedProject(networks: ["demo_default"], volumes: ["demo_data"], images: ["jarvis-test/busybox:latest": "sha256:b1"])
        for name in project.services.keys.sorted() {
            let service = project.services[name]!
            for number in 1...service.replicas {
                let containerName = "demo-\(name)-\(number)"
                observed.containers.append(.init(id: "id-\(name)-\(number)", name: containerName, service: name, number: number,
                                                 configHash: ConfigHash.of(service), state: state[name] ?? "running", imageID: "sha256:b1"))
            }
        }
        return observed
    }

    func testFirstUpCreatesEverythingInDependencyOrder() throws {
        let plan = try Planner(project: project, observed: ObservedProject()).plan(.up)
        try assertGolden(plan, "up-fresh")
        XCTAssertEqual(plan.services.map(\.service), ["init", "web", "worker"])
        XCTAssertEqual(plan.services.map(\.after), [[], ["init"], ["web"]])
    }

    func testUpOfARunningStackChangesNothing() throws {
        let plan = try Planner(project: project, observed: running(project, state: ["init": "exited"])).plan(.up)
        try assertGolden(plan, "up-unchanged")
    }

    func testChangingOneServiceRecreatesOnlyThatService() throws {
        let before = running(project, state: ["init": "exited"])
        project.services["worker"]!.environment["NEW"] = "1"
        let plan = try Planner(project: project, observed: before).plan(.up)
        try assertGolden(plan, "up-worker-changed")
        let touched = plan.services.filter { $0.steps.contains { $0.action.changesSomething } }.map(\.service)
        XCTAssertEqual(touched, ["init", "worker"], "init is a finished one-shot and runs again; web is kept")
    }

    func testHashIgnoresFieldsThatDoNotShapeTheContainer() {
        var service = project.services["web"]!
        let hash = ConfigHash.of(service)
        service.replicas = 3
        service.dependsOn = [:]
        service.pullPolicy = "always"
        XCTAssertEqual(ConfigHash.of(service), hash)
        service.environment["X"] = "1"
        XCTAssertNotEqual(ConfigHash.of(service), hash)
    }

    func testANewImageRecreatesItsContainers() throws {
        var observed = running(project, state: ["init": "exited"])
        observed.images["jarvis-test/busybox:latest"] = "sha256:b2"
        try assertGolden(try Planner(project: project, observed: observed).plan(.up), "up-image-changed")
    }

    func testScaleAndOrphans() throws {
        var observed = running(project)
        observed.containers.append(.init(id: "id-old", name: "demo-old-1", service: "old", number: 1, configHash: "x", state: "running", imageID: nil))
        observed.containers.append(.init(id: "id-worker-2", name: "demo-worker-2", service: "worker", number: 2,
                                         configHash: ConfigHash.of(project.services["worker"]!), state: "running", imageID: "sha256:b1"))
        try assertGolden(try Planner(project: project, observed: observed).plan(.up), "up-scale-down-and-orphan")
        project.services["worker"]!.replicas = 3
        let up = try Planner(project: project, observed: running(project).removing(service: "worker", number: 3)).plan(.up, services: ["worker"])
        try assertGolden(up, "up-worker-scale-up")
    }

    func testDownStopStartRestartPull() throws {
        let observed = running(project, state: ["init": "exited"])
        let planner = Planner(project: project, observed: observed)
        try assertGolden(try planner.plan(.down), "down")
        try assertGolden(try planner.plan(.down, removeVolumes: true), "down-volumes")
        try assertGolden(try planner.plan(.stop), "stop")
        try assertGolden(try Planner(project: project, observed: running(project, state: ["init": "exited", "web": "exited", "worker": "exited"])).plan(.start), "start")
        try assertGolden(try planner.plan(.restart, services: ["web"]), "restart-web")
        try assertGolden(try planner.plan(.pull), "pull")
    }

    func testPlanErrors() throws {
        XCTAssertThrowsError(try Planner(project: project, observed: ObservedProject()).plan(.up, services: ["nope"])) {
            XCTAssertEqual(($0 as? PlanError)?.message, "no service \"nope\" in the stack")
        }
        project.services["web"]!.pullPolicy = "never"
        project.services["web"]!.image = "absent:1"
        XCTAssertThrowsError(try Planner(project: project, observed: ObservedProject()).plan(.up)) {
            XCTAssertEqual(($0 as? PlanError)?.message, "image absent:1 of service web is not present and its pull_policy is never")
        }
        project.networks["default"]!.external = true
        project.services["web"]!.pullPolicy = nil
        XCTAssertThrowsError(try Planner(project: project, observed: ObservedProject()).plan(.up)) {
            XCTAssertEqual(($0 as? PlanError)?.message, "external network demo_default does not exist: create it first")
        }
    }

    func testReferencesGetTheirDefaultTag() {
        XCTAssertEqual(Planner.withTag("busybox"), "busybox:latest")
        XCTAssertEqual(Planner.withTag("registry:5000/team/app"), "registry:5000/team/app:latest")
        XCTAssertEqual(Planner.withTag("registry:5000/team/app:1.2"), "registry:5000/team/app:1.2")
        XCTAssertEqual(Planner.withTag("app@sha256:abc"), "app@sha256:abc")
    }
}

private extension ObservedProject {
    func removing(service: String, number: Int) -> ObservedProject {
        var copy = self
        copy.containers.removeAll { $0.service == service && $0.number == number }
        return copy
    }
}
