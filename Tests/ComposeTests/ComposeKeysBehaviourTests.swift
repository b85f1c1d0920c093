@testable import Compose
import Foundation
import XCTest

/// What the keys of issue 15 do beyond their golden form: host access, bad values, planning.
final class ComposeKeysBehaviourTests: XCTestCase {
    private func load(_ yaml: String) throws -> ComposeProject {
        let folder = NSTemporaryDirectory() + "compose-keys-\(UUID().uuidString)/app"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent) }
        return try ComposeLoader().load(folder: folder, name: "app", text: yaml, envText: "")
    }

    private func errors(_ yaml: String) -> [String] {
        do {
            _ = try load(yaml)
            return []
        } catch let error as ComposeError {
            return error.issues.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    func testDeviceRequestsAndPrivilegedHooksNeedAnAdmin() throws {
        let project = try load("""
            services:
              app:
                image: x
                gpus: all
                deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}
                post_start: [{command: "true", privileged: true}]
                build: {context: ., network: host}
            """)
        XCTAssertEqual(Set(project.hostAccess.map(\.path)), ["services.app.gpus", "services.app.deploy.resources.reservations.devices",
                                                             "services.app.post_start[0].privileged", "services.app.build.network"])
    }

    /// The engine rules let an operator's build use only the default, bridge or no network; the file says so when saved.
    func testABuildInAnotherContainersNetworkNeedsAnAdmin() throws {
        let project = try load("services:\n  app:\n    build: {context: ., network: \"container:other-db-1\"}\n")
        XCTAssertEqual(project.hostAccess.map { "\($0.path) \($0.message)" },
                       ["services.app.build.network builds in the network container:other-db-1, not the engine's own bridge"])
        XCTAssertEqual(try load("services:\n  app:\n    build: {context: ., network: none}\n").hostAccess, [])
    }

    func testBadValuesNameTheField() {
        XCTAssertEqual(errors("services:\n  app:\n    image: x\n    oom_score_adj: 5000\n"),
                       ["compose.yaml:4: services.app.oom_score_adj: oom_score_adj is between -1000 and 1000, not 5000"])
        XCTAssertEqual(errors("services:\n  app:\n    image: x\n    mem_swappiness: lots\n"),
                       ["compose.yaml:4: services.app.mem_swappiness: expected a whole number, got \"lots\""])
        XCTAssertEqual(errors("services:\n  app:\n    image: x\n    cpu_rt_runtime: soon\n"),
                       ["compose.yaml:4: services.app.cpu_rt_runtime: expected microseconds or a duration such as 400ms, got \"soon\""])
        XCTAssertEqual(errors("services:\n  app:\n    image: x\n    gpus: some\n"),
                       ["compose.yaml:4: services.app.gpus: gpus is all or a list of devices, not \"some\""])
        XCTAssertEqual(errors("services:\n  app:\n    image: x\n    extra_hosts: [nohost]\n"),
                       ["compose.yaml:4: services.app.extra_hosts[0]: extra_hosts entry \"nohost\" needs name=ip (or name:ip)"])
        XCTAssertEqual(errors("services:\n  app:\n    image: x\n    pull_policy: every_fortnight\n"),
                       ["compose.yaml:4: services.app.pull_policy: pull_policy is always, never, missing, build, daily, weekly or every_<duration> (each number with its unit: every_12h, every_1h30m, every_2d), not \"every_fortnight\""])
        XCTAssertEqual(errors("services:\n  app:\n    image: x\n    volumes: [{type: npipe, source: '\\\\\\\\.\\\\pipe\\\\docker_engine', target: /pipe}]\n"),
                       ["compose.yaml:4: services.app.volumes[0].type: volume type npipe mounts a Windows named pipe: it works only on Windows engines, and Jarvis deploys to Linux engines"])
        XCTAssertEqual(errors("services:\n  app:\n    image: x\n    volumes: [\"~someone/data:/data\"]\n"),
                       ["compose.yaml:4: services.app.volumes[0]: ~someone/data: ~user paths are not supported; write the absolute path"])
        XCTAssertEqual(errors("services:\n  app:\n    image: x\n    build: {context: ., dockerfile: D, dockerfile_inline: FROM x}\n"),
                       ["compose.yaml:4: services.app.build: dockerfile and dockerfile_inline cannot both be set"])
    }

    func testKeysThatCannotApplySayWhy() throws {
        let project = try load("services:\n  app:\n    image: x\n    credential_spec: {file: spec.json}\n    develop: {watch: []}\n")
        XCTAssertEqual(project.warnings.map(\.message), [
            "credential_spec is not applied: it configures Windows containers (gMSA); Jarvis deploys to Linux engines",
            "develop is not applied: file watching (compose watch) is a feature of the docker compose CLI, not of the engine",
        ])
    }

    func testLinksMakeTheLinkedServiceStartFirst() throws {
        let project = try load("services:\n  web: {image: x, links: [\"db:database\"]}\n  db: {image: x}\n")
        XCTAssertEqual(project.orderedServiceNames, ["db", "web"])
        XCTAssertNotNil(project.services["web"]?.dependsOn["db"])
    }

    /// A legacy link hands over the linked container's environment: another stack's container is host access,
    /// and a link to no service is an error rather than a link silently left out.
    func testExternalLinksNeedAnAdminAndALinkNamesAService() throws {
        let project = try load("services:\n  web: {image: x, external_links: [\"other-db-1:db\", cache]}\n")
        XCTAssertEqual(project.hostAccess.map(\.description), ["compose.yaml:2: services.web.external_links: links to container other-db-1, cache, outside this stack"])
        XCTAssertEqual(errors("services:\n  web: {image: x, links: [\"nodb:database\"]}\n"), [
            "compose.yaml:2: services.web.links[0]: links to service \"nodb\", which is not defined (a container of another project is an external_links entry)",
        ])
    }

    /// compose-go reads every_<duration> with str2duration: days and weeks are units, a bare number or inf is no interval.
    func testRefreshIntervalsReadLikeComposeGo() {
        XCTAssertEqual(PullPolicy.refreshInterval("every_2d"), 2 * 86_400)
        XCTAssertEqual(PullPolicy.refreshInterval("every_1w12h"), 7 * 86_400 + 12 * 3600)
        XCTAssertEqual(PullPolicy.refreshInterval("every_1h30m"), 5400)
        for nonsense in ["every_5", "every_inf", "every_1e3h", "every_", "every_0s", "every_-1h", "every_ 1h", "every_1h "] {
            XCTAssertNil(PullPolicy.refreshInterval(nonsense), nonsense)
        }
        XCTAssertEqual(errors("services:\n  app: {image: x, pull_policy: every_inf}\n"), [
            "compose.yaml:2: services.app.pull_policy: pull_policy is always, never, missing, build, daily, weekly or every_<duration> "
                + "(each number with its unit: every_12h, every_1h30m, every_2d), not \"every_inf\"",
        ])
    }

    func testARefreshPolicyPullsOnlyAnImageOlderThanItsInterval() throws {
        let project = try load("services:\n  app: {image: busybox, pull_policy: every_2h}\n")
        var observed = ObservedProject(networks: ["app_default"], images: ["busybox:latest": "sha256:b1"])
        observed.imageTaggedAt["busybox:latest"] = Date().addingTimeInterval(-3600)
        let fresh = try Planner(project: project, observed: observed).plan(.up)
        XCTAssertFalse(fresh.text.contains("pull image"), fresh.text)
        observed.imageTaggedAt["busybox:latest"] = Date().addingTimeInterval(-3 * 3600)
        let stale = try Planner(project: project, observed: observed).plan(.up)
        XCTAssertTrue(stale.text.contains("pull image busybox:latest (pull_policy every_2h)"), stale.text)
    }

    func testTheEngineVersionGatesNewerFields() throws {
        let project = try load("""
            services:
              app:
                image: x
                annotations: {a: b}
                volumes: [{type: image, source: x, target: /x}]
            """)
        XCTAssertEqual(EngineSpec(project: project, apiMinor: 47).unsupportedByEngine(), [])
        XCTAssertEqual(EngineSpec(project: project, apiMinor: 41).unsupportedByEngine(), [
            "service app: annotations is not supported on this engine: it needs Engine API 1.43, this engine speaks API 1.41",
            "service app: a volume of type image is not supported on this engine: it needs Engine API 1.47, this engine speaks API 1.41",
        ])
    }
}
