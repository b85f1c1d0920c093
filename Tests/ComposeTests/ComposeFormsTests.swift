@testable import Compose
import Foundation
import XCTest

/// Forms the specification allows that Jarvis used to refuse or drop, warnings that come back
/// with errors, the image label, and the further host-access findings.
final class ComposeFormsTests: XCTestCase {
    private func load(_ yaml: String, env: String = "") throws -> ComposeProject {
        let folder = NSTemporaryDirectory() + "compose-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        return try ComposeLoader().load(folder: folder, name: "app", text: yaml, envText: env)
    }

    func testLegitimateFormsAreAccepted() throws {
        let project = try load("""
            services:
              web:
                image: x
                expose: ["3000-3002", "53/udp", 9000]
                deploy:
                  restart_policy: {condition: on-failure, max_attempts: 3}
                volumes:
                  - type: bind
                    source: ./data
                    target: /data
                    bind: {propagation: rslave, selinux: z}
                  - ./logs:/logs:ro,Z,rshared
                networks: [front]
            networks:
              front:
                ipam: {driver: default, options: {foo: bar}, config: [{subnet: 172.30.0.0/16}]}
              outside:
                external: {name: shared-net}
            volumes:
              old:
                external: {name: shared-data}
            secrets:
              swarm:
                external: true
              templated:
                template_driver: golang
            configs:
              driven:
                driver: vault
            """)
        let web = try XCTUnwrap(project.services["web"])
        XCTAssertEqual(web.expose, ["3000", "3001", "3002", "53/udp", "9000"])
        XCTAssertEqual(web.restart, "on-failure:3")
        XCTAssertEqual(web.volumes[0].propagation, "rslave")
        XCTAssertEqual(web.volumes[0].selinux, "z")
        XCTAssertEqual(web.volumes[1].propagation, "rshared")
        XCTAssertEqual(web.volumes[1].selinux, "Z")
        XCTAssertEqual(project.networks["outside"]?.name, "shared-net")
        XCTAssertEqual(project.networks["outside"]?.external, true)
        XCTAssertEqual(project.volumes["old"]?.name, "shared-data")
        XCTAssertEqual(project.networks["front"]?.ipamDriver, "default")
        let spec = EngineSpec(project: project)
        let body = spec.containerBody(for: web, number: 1, materialized: { _, _ in "" })
        let host = body["HostConfig"] as! [String: Any]
        XCTAssertEqual(host["Binds"] as? [String], [project.workingDir + "/data:/data:rw,z,rslave", project.workingDir + "/logs:/logs:ro,Z,rshared"])
        XCTAssertEqual((host["RestartPolicy"] as? [String: Any])?["MaximumRetryCount"] as? Int, 3)
        XCTAssertEqual((body["ExposedPorts"] as? [String: Any])?.keys.sorted(), ["3000/tcp", "3001/tcp", "3002/tcp", "53/udp", "9000/tcp"])
        let ipam = spec.networkBody("front")["IPAM"] as? [String: Any]
        XCTAssertEqual(ipam?["Driver"] as? String, "default")
        XCTAssertEqual(ipam?["Options"] as? [String: String], ["foo": "bar"])
        XCTAssertTrue(project.warnings.contains { $0.message.hasPrefix("external.name is deprecated") })
    }

    /// Jarvis's engine rules refuse annotations and image mounts to operators; the file's check says so when the
    /// stack is saved, rather than the deploy failing half-way at the engine.
    func testAnnotationsAndImageMountsNeedAnAdmin() throws {
        let project = try load("""
            services:
              app:
                image: x
                annotations: {run.oci.keep_original_groups: "1"}
                volumes: [{type: image, source: other-stack/private:latest, target: /mnt}]
            """)
        XCTAssertEqual(project.hostAccess.map { "\($0.path) \($0.message)" }, [
            "services.app.annotations sets OCI annotations, which the container runtime acts on",
            "services.app.volumes[0] mounts the files of image other-stack/private:latest",
        ])
    }

    func testASecretTheEngineCannotProvideIsRefusedOnlyWhereUsed() throws {
        XCTAssertThrowsError(try load("services:\n  web:\n    image: x\n    secrets: [swarm]\nsecrets:\n  swarm:\n    external: true\n")) { error in
            XCTAssertEqual((error as? ComposeError)?.issues.map(\.description),
                           ["compose.yaml:4: services.web.secrets: uses secret \"swarm\", which is external (kept by Swarm): the engine cannot provide it without Swarm"])
        }
    }

    func testTopLevelName() throws {
        XCTAssertEqual(try load("name: app\nservices:\n  web: {image: x}\n").warnings, [])
        let other = try load("name: other\nservices:\n  web: {image: x}\n")
        XCTAssertEqual(other.name, "app", "the stack folder names the project")
        XCTAssertEqual(other.declaredName, "other")
        XCTAssertTrue(other.warnings.first?.message.hasPrefix("the project is named after its stack folder (app), not \"other\"") == true)
        XCTAssertThrowsError(try load("name: Not_Valid!\nservices:\n  web: {image: x}\n"))
    }

    func testWarningsComeBackWithErrors() {
        let yaml = "services:\n  web:\n    image: x\n    frobnicate: 1\n    restart: sometimes\n"
        XCTAssertThrowsError(try load(yaml)) { error in
            let failure = error as? ComposeError
            XCTAssertEqual(failure?.issues.map(\.description), ["compose.yaml:5: services.web.restart: restart is no, always, unless-stopped or on-failure[:N], not \"sometimes\""])
            XCTAssertEqual(failure?.warnings.map(\.description), ["compose.yaml:4: services.web.frobnicate: unsupported service setting, ignored"])
        }
        let validation = ComposeLoader().validate(folder: NSTemporaryDirectory() + "none-\(UUID().uuidString)", name: "app",
                                                  text: yaml + "    privileged: true\n", envText: "")
        XCTAssertFalse(validation.valid)
        XCTAssertNil(validation.project)
        XCTAssertEqual(validation.errors.count, 1)
        XCTAssertEqual(validation.warnings.count, 1)
        XCTAssertEqual(validation.hostAccess.map(\.path), ["services.web.privileged"])
    }

    func testImageLabelHoldsTheImageID() throws {
        let project = try load("services:\n  web: {image: busybox}\n")
        let spec = EngineSpec(project: project)
        XCTAssertEqual(spec.labels(for: project.services["web"]!, number: 1, imageID: "sha256:abc")[ComposeLabel.image], "sha256:abc")
        let body = spec.containerBody(for: project.services["web"]!, number: 1, materialized: { _, _ in "" }, imageID: "sha256:abc")
        XCTAssertEqual((body["Labels"] as? [String: String])?[ComposeLabel.image], "sha256:abc")
        XCTAssertEqual(body["Image"] as? String, "busybox:latest")
    }

    func testFurtherHostAccessIsListedWithItsLines() throws {
        let project = try load("""
            services:
              web:
                image: x
                network_mode: container:someone-else
                pid: host
                ipc: host
                uts: host
                userns_mode: host
                volumes_from: [other, "container:foreign:ro"]
                security_opt: [seccomp=unconfined, "no-new-privileges:true"]
                sysctls: {net.ipv4.ip_forward: 1, kernel.core_pattern: x}
                cgroup_parent: /system.slice
                runtime: runsc
                device_cgroup_rules: ["c 1:3 mr"]
                cgroup: host
              other: {image: x}
            volumes:
              hostdir:
                driver_opts: {type: none, o: bind, device: /srv/data}
              nfs:
                driver: rexray
              plain: {}
            """)
        let found = project.hostAccess.map { "\($0.line!) \($0.path)" }
        // What the engine gives a container anyway is no finding: another service's volumes, no-new-privileges, namespaced sysctls.
        let messages = project.hostAccess.map(\.message).joined(separator: "\n")
        XCTAssertFalse(messages.contains("no-new-privileges") || messages.contains("ip_forward") || messages.contains("of other"), messages)
        XCTAssertEqual(Set(found), [
            "4 services.web.network_mode", "5 services.web.pid", "6 services.web.ipc", "7 services.web.uts", "8 services.web.userns_mode",
            "9 services.web.volumes_from", "10 services.web.security_opt", "11 services.web.sysctls", "12 services.web.cgroup_parent",
            "13 services.web.runtime", "14 services.web.device_cgroup_rules", "15 services.web.cgroup",
            "19 volumes.hostdir.driver_opts", "21 volumes.nfs.driver",
        ], project.hostAccess.map(\.description).joined(separator: "\n"))
        let web = try XCTUnwrap(project.services["web"])
        let host = EngineSpec(project: project).containerBody(for: web, number: 1, materialized: { _, _ in "" },
                                                              serviceContainer: { $0 == "other" ? "id-other" : nil })["HostConfig"] as! [String: Any]
        XCTAssertEqual(host["PidMode"] as? String, "host")
        XCTAssertEqual(host["VolumesFrom"] as? [String], ["id-other", "foreign:ro"])
        XCTAssertEqual(host["CgroupnsMode"] as? String, "host")
        XCTAssertEqual(host["Runtime"] as? String, "runsc")
    }
}
