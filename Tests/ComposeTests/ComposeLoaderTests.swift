@testable import Compose
import Foundation
import XCTest

/// Loading, interpolation and validation: what an operator sees when a file is right or wrong.
final class ComposeLoaderTests: XCTestCase {
    static let fixtures = Bundle.module.resourcePath! + "/Fixtures"

    private func load(_ yaml: String, env: String = "", files: [String: String] = [:]) throws -> ComposeProject {
        let folder = NSTemporaryDirectory() + "compose-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        for (name, text) in files { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        return try ComposeLoader().load(folder: folder, name: "app", text: yaml, envText: env)
    }

    private func issues(_ yaml: String, env: String = "", files: [String: String] = [:]) -> [String] {
        do {
            _ = try load(yaml, env: env, files: files)
            XCTFail("expected the file to be refused")
            return []
        } catch let error as ComposeError {
            return error.issues.map(\.description)
        } catch {
            XCTFail("unexpected \(error)")
            return []
        }
    }

    func testTheDemoStackLoadsInCanonicalForm() throws {
        let folder = Self.fixtures + "/demo"
        let project = try ComposeLoader().load(folder: folder, name: "demo")
        XCTAssertEqual(project.services.keys.sorted(), ["init", "web", "worker"])
        XCTAssertEqual(project.orderedServiceNames, ["init", "web", "worker"])
        let web = try XCTUnwrap(project.services["web"])
        XCTAssertEqual(web.image, "jarvis-test/busybox:latest", "${WEB_IMAGE:-default}")
        XCTAssertEqual(web.command, ["httpd", "-f", "-p", "8080", "-h", "/data"])
        XCTAssertEqual(web.ports, [PortMapping(target: 8080, published: "18080", hostIP: "127.0.0.1", proto: "tcp")])
        XCTAssertEqual(web.environment, ["LOG_LEVEL": "info", "MODE": "production", "GREETING": "hello world"],
                       "env_file first, environment wins")
        XCTAssertEqual(web.restart, "unless-stopped", "from the << merge key")
        XCTAssertEqual(web.labels, ["team": "ops"])
        XCTAssertEqual(web.volumes, [ServiceMount(kind: .volume, source: "data", target: "/data", readOnly: true)])
        XCTAssertEqual(web.dependsOn["init"]?.condition, .completedSuccessfully)
        XCTAssertEqual(web.healthcheck?.interval, 1)
        XCTAssertEqual(web.healthcheck?.retries, 30)
        let worker = try XCTUnwrap(project.services["worker"])
        XCTAssertEqual(worker.command, ["sh", "-c", "while true; do wget -q -O - http://web:8080/ready; sleep 5; done"])
        XCTAssertEqual(worker.resources.memory, 64 << 20)
        XCTAssertEqual(worker.resources.cpus, 0.5)
        XCTAssertEqual(worker.dependsOn["web"]?.condition, .healthy)
        XCTAssertEqual(project.networks["default"]?.name, "demo_default", "the implicit default network")
        XCTAssertEqual(project.volumes["data"]?.name, "demo_data")
        XCTAssertEqual(project.warnings, [])
        XCTAssertEqual(project.configFiles, [folder + "/compose.yaml"])
    }

    func testInterpolationForms() throws {
        let variables = ["SET": "value", "EMPTY": ""]
        let interpolate = { (text: String) in try Interpolator(variables).interpolate(text) }
        XCTAssertEqual(try interpolate("${SET}/$SET/$$SET/$$"), "value/value/$SET/$")
        XCTAssertEqual(try interpolate("${UNSET:-a}|${EMPTY:-b}|${EMPTY-c}|${UNSET-d}"), "a|b||d")
        XCTAssertEqual(try interpolate("${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${UNSET+alt}"), "alt||alt|")
        XCTAssertEqual(try interpolate("${UNSET:-${SET}-x}"), "value-x", "a default may hold a variable")
        XCTAssertEqual(try interpolate("${SET?never}${EMPTY?fine}"), "value")
        XCTAssertThrowsError(try interpolate("${EMPTY:?needs a value}")) { error in
            XCTAssertEqual((error as? Interpolator.Failure)?.message, "required variable EMPTY: needs a value")
        }
        XCTAssertThrowsError(try interpolate("${UNSET?}"))
        XCTAssertThrowsError(try interpolate("${unclosed"))
        XCTAssertThrowsError(try interpolate("${1BAD}"))
        let env = try EnvFile.parse("A=1\nexport B='${A} literal'\nC=\"x ${A}\\n\"\nD=plain # comment\n# skip\n\nE=${A:-z}", interpolating: [:])
        XCTAssertEqual(env.map { "\($0.0)=\($0.1)" }, ["A=1", "B=${A} literal", "C=x 1\n", "D=plain", "E=1"])
    }

    func testShortAndLongSyntaxesExpand() throws {
        let project = try load("""
        services:
          app:
            image: busybox
            ports:
              - 3000
              - "8000-8001:9000-9001"
              - "127.0.0.1::5000/udp"
              - "[::1]:6001:6001"
              - target: 80
                published: "8080"
                host_ip: 127.0.0.1
            volumes:
              - ./html:/srv/html:ro
              - /cache
              - type: tmpfs
                target: /tmp
                tmpfs: {size: 1m}
            environment: [A=1, B]
            entrypoint: ["/bin/sh", "-c"]
            extra_hosts: ["db:10.0.0.5", "v6:::1"]
            ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}
            networks:
              front: {aliases: [www]}
            stop_grace_period: 1m30s
            shm_size: 128m
            healthcheck: {test: "wget -q localhost", start_period: 500ms}
            sysctls: [net.core.somaxconn=1024]
        networks:
          front:
            ipam: {config: [{subnet: 172.28.0.0/16}]}
        """, env: "B=from-env")
        let app = try XCTUnwrap(project.services["app"])
        XCTAssertEqual(app.ports.map { "\($0.hostIP ?? "*"):\($0.published ?? "-"):\($0.target)/\($0.proto)" },
                       ["*:-:3000/tcp", "*:8000:9000/tcp", "*:8001:9001/tcp", "127.0.0.1:-:5000/udp", "::1:6001:6001/tcp", "127.0.0.1:8080:80/tcp"])
        XCTAssertEqual(app.volumes[0], ServiceMount(kind: .bind, source: project.workingDir + "/html", target: "/srv/html", readOnly: true))
        XCTAssertEqual(app.volumes[1], ServiceMount(kind: .volume, source: nil, target: "/cache"))
        XCTAssertEqual(app.volumes[2].tmpfsSize, 1 << 20)
        XCTAssertEqual(app.environment, ["A": "1", "B": "from-env"])
        XCTAssertEqual(app.extraHosts, ["db:10.0.0.5", "v6:::1"])
        XCTAssertEqual(app.ulimits["nofile"], Ulimit(soft: 1024, hard: 2048))
        XCTAssertEqual(app.ulimits["nproc"], Ulimit(soft: 512, hard: 512))
        XCTAssertEqual(app.networks["front"]?.aliases, ["www"])
        XCTAssertEqual(app.stopGracePeriod, 90)
        XCTAssertEqual(app.shmSize, 128 << 20)
        XCTAssertEqual(app.healthcheck?.test, ["CMD-SHELL", "wget -q localhost"])
        XCTAssertEqual(app.healthcheck?.startPeriod, 0.5)
        XCTAssertEqual(app.sysctls, ["net.core.somaxconn": "1024"])
        XCTAssertEqual(project.networks["front"]?.subnets.first?.subnet, "172.28.0.0/16")
        XCTAssertNil(project.networks["default"], "no service uses the default network")
    }

    func testErrorsNameTheFileLineAndKeyPath() {
        XCTAssertEqual(issues("services:\n  web:\n    image: [unclosed\n"), ["compose.yaml:4: invalid YAML: did not find expected ',' or ']'"])
        XCTAssertEqual(issues("services:\n  web:\n    image: busybox\n    ports:\n      - \"80:80\"\n      - \"80:xx\"\n"),
                       ["compose.yaml:6: services.web.ports[1]: invalid port \"80:xx\""])
        XCTAssertEqual(issues("services:\n  web:\n    image: busybox\n    depends_on: [db]\n"),
                       ["compose.yaml:4: services.web.depends_on[0]: depends on service \"db\", which is not defined"])
        XCTAssertEqual(issues("services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n"),
                       ["compose.yaml: services: dependency cycle: a -> b -> a"])
        XCTAssertEqual(issues("services:\n  web:\n    image: x\n    env_file: missing.env\n"),
                       ["compose.yaml:4: services.web.env_file: env_file missing.env does not exist"])
        XCTAssertEqual(issues("services:\n  web:\n    image: ${TAG:?give TAG a value}\n"),
                       ["compose.yaml:3: services.web.image: required variable TAG: give TAG a value"])
        XCTAssertEqual(issues("services:\n  web:\n    image: x\n    volumes: [\"data:/data\"]\n"),
                       ["compose.yaml:4: services.web.volumes[0]: volume \"data\" is not declared under the top-level volumes"])
        XCTAssertEqual(issues("services:\n  a:\n    image: x\n    ports: [\"8080:80\"]\n  b:\n    image: x\n    ports: [\"8080:81\"]\n"),
                       ["compose.yaml: services.b.ports: host port 0.0.0.0:8080/tcp is also published by service a"])
        XCTAssertEqual(issues("services:\n  web:\n    build: {args: {A: 1}}\n    image: x\n    restart: sometimes\n"),
                       ["compose.yaml:5: services.web.restart: restart is no, always, unless-stopped or on-failure[:N], not \"sometimes\""])
        XCTAssertEqual(issues("services: {}\n"), ["compose.yaml:1: services: the file defines no services"])
        XCTAssertEqual(issues("services:\n  web:\n    command: echo\n"), ["compose.yaml:3: services.web: the service needs an image or a build"])
        XCTAssertEqual(issues("services:\n  web: {image: x}\n", env: "A=1\nnot a line\n"), [".env:2: expected KEY=VALUE, got \"not a line\""])
    }

    func testUnknownKeysAreWarningsWithTheirLines() throws {
        let project = try load("version: '3.8'\nservices:\n  web:\n    image: x\n    frobnicate: true\n    deploy:\n      placement: {}\nx-extra: 1\n")
        XCTAssertEqual(project.warnings.map(\.description), [
            "compose.yaml:1: version: version is obsolete and ignored",
            "compose.yaml:5: services.web.frobnicate: unsupported service setting, ignored",
            "compose.yaml:7: services.web.deploy.placement: deploy.placement applies to Swarm only, ignored",
        ])
    }

    func testSettingsThatReachIntoTheHostAreListedWithTheirLines() throws {
        let project = try load("""
            services:
              web:
                image: x
                volumes: ["./data:/data", "/etc:/host-etc:ro", "../../..:/up"]
                privileged: true
                network_mode: host
                cap_add: [NET_ADMIN]
                devices: ["/dev/kmsg"]
                env_file: [inside.env, /etc/hostname]
                build: ../elsewhere
            secrets:
              key:
                file: /etc/hostname
            """, files: ["inside.env": "A=1\n"])
        let found = project.hostAccess.map { "\($0.line!) \($0.path) \($0.message)" }
        XCTAssertEqual(found.count, 9, found.joined(separator: "\n"))
        XCTAssertTrue(found.contains("4 services.web.volumes[1] bind-mounts the host path /etc"), found.joined(separator: "\n"))
        XCTAssertTrue(found.contains { $0.hasPrefix("4 services.web.volumes[2] bind-mounts the host path /") })
        XCTAssertTrue(found.contains("5 services.web.privileged runs privileged: every host device and capability"))
        XCTAssertTrue(found.contains("6 services.web.network_mode uses the host's network stack"))
        XCTAssertTrue(found.contains("7 services.web.cap_add adds kernel capabilities NET_ADMIN"))
        XCTAssertTrue(found.contains("8 services.web.devices passes host devices /dev/kmsg"))
        XCTAssertTrue(found.contains { $0.hasPrefix("9 services.web.env_file[1] reads env_file /etc/hostname") })
        XCTAssertTrue(found.contains { $0.hasPrefix("10 services.web.build builds from the host folder") })
        XCTAssertTrue(found.contains { $0.hasPrefix("13 secrets.key.file mounts the host file /etc/hostname") })
        XCTAssertEqual(try load("services:\n  web:\n    image: x\n    volumes: ['./a:/a', 'named:/n']\nvolumes:\n  named: {}\n").hostAccess, [])
    }

    func testALinkInsideTheFolderThatLeadsOutIsHostAccess() throws {
        let folder = NSTemporaryDirectory() + "compose-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createSymbolicLink(atPath: folder + "/data/root", withDestinationPath: "/")
        let project = try ComposeLoader().load(folder: folder, name: "app", text: "services:\n  web:\n    image: x\n    volumes: ['./data/root/etc:/e', './data/new:/n']\n")
        XCTAssertEqual(project.hostAccess.map(\.path), ["services.web.volumes[0]"])
    }

    /// `network_mode: host` spelled as a network: the engine's network named host, external or by `name:`.
    func testTheEngineHostNetworkByAnyNameIsHostAccess() throws {
        let external = try load("services:\n  web:\n    image: x\n    networks: [outside]\nnetworks:\n  outside:\n    external: true\n    name: host\n")
        XCTAssertEqual(external.hostAccess.map { "\($0.path) \($0.message)" },
                       ["networks.outside.name is the engine's host network: a service joining it uses the host's network stack"])
        let byKey = try load("services:\n  web:\n    image: x\n    networks: [host]\nnetworks:\n  host: {external: true}\n")
        XCTAssertEqual(byKey.hostAccess.map(\.path), ["networks.host.external"])
        XCTAssertEqual(try load("services:\n  web:\n    image: x\n    networks: [host]\nnetworks:\n  host: {}\n").hostAccess, [])
    }

    func testProfilesSwitchServicesOff() throws {
        let yaml = "services:\n  web: {image: x}\n  debug: {image: x, profiles: [debug]}\n"
        XCTAssertEqual(try load(yaml).disabledServices, ["debug"])
        XCTAssertEqual(try load(yaml, env: "COMPOSE_PROFILES=debug").services.keys.sorted(), ["debug", "web"])
    }
}
