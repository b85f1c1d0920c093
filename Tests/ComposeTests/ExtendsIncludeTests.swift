@testable import Compose
import Foundation
import XCTest

/// `extends` (same file, other file) and `include` (a sub-project with its own `.env`) load to
/// exactly what the same project written out flat loads to, field by field.
final class ExtendsIncludeTests: XCTestCase {
    private var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "compose-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/common", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/sub/html", withIntermediateDirectories: true)
        addTeardownBlock { [folder] in try? FileManager.default.removeItem(atPath: folder!) }
    }

    private func write(_ files: [String: String]) throws {
        for (name, text) in files { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
    }

    private func load(_ yaml: String, env: String = "") throws -> ComposeProject {
        try ComposeLoader().load(folder: folder, name: "app", text: yaml, envText: env)
    }

    func testExtendsAcrossTwoFilesEqualsTheFlatService() throws {
        try write([
            "common/base.yaml": """
                services:
                  base:
                    image: jarvis-test/busybox:${TAG:-latest}
                    command: ["sleep", "1"]
                    environment: [A=base, B=base]
                    labels: {tier: base}
                    volumes: ["./data:/data", "/cache"]
                    ports: ["8080:80"]
                    cap_add: [NET_ADMIN]
                  web:
                    extends: base
                    environment: {C: web}
                """,
            "common/web.env": "FROM_FILE=1\n",
        ])
        let extended = try load("""
            services:
              front:
                extends: {file: common/base.yaml, service: web}
                command: sleep 2
                environment: {B: front}
                labels: [role=front]
                volumes: ["./elsewhere:/data"]
                ports: ["8081:81"]
                cap_add: [NET_ADMIN, SYS_TIME]
            """, env: "TAG=1.36\n")
        let flat = try load("""
            services:
              front:
                image: jarvis-test/busybox:1.36
                command: sleep 2
                environment: {A: base, B: front, C: web}
                labels: {tier: base, role: front}
                volumes: ["./elsewhere:/data", "/cache"]
                ports: ["8080:80", "8081:81"]
                cap_add: [NET_ADMIN, SYS_TIME]
            """, env: "TAG=1.36\n")
        let front = try XCTUnwrap(extended.services["front"])
        let expected = try XCTUnwrap(flat.services["front"])
        XCTAssertEqual(front.image, expected.image, "the base's image, interpolated with the project's .env")
        XCTAssertEqual(front.command, expected.command, "command is replaced, not appended")
        XCTAssertEqual(front.environment, expected.environment)
        XCTAssertEqual(front.labels, expected.labels)
        XCTAssertEqual(front.volumes, expected.volumes, "one volume per target; ./ paths from the file that wrote them")
        XCTAssertEqual(front.ports, expected.ports)
        XCTAssertEqual(front.capAdd, expected.capAdd)
        XCTAssertEqual(front, expected)
        XCTAssertEqual(extended.warnings, [])
    }

    func testRelativePathsInAnExtendedFileStartFromThatFile() throws {
        try write(["common/base.yaml": "services:\n  base:\n    image: x\n    volumes: ['./data:/data']\n    env_file: web.env\n",
                   "common/web.env": "FROM_FILE=1\n"])
        let project = try load("services:\n  web:\n    extends: {file: common/base.yaml, service: base}\n")
        XCTAssertEqual(project.services["web"]?.volumes.first?.source, folder + "/common/data")
        XCTAssertEqual(project.services["web"]?.environment, ["FROM_FILE": "1"])
    }

    func testIncludeEqualsTheFlatProject() throws {
        try write([
            "sub/compose.yaml": """
                services:
                  api:
                    image: jarvis-test/busybox:${API_TAG}
                    environment: {GREETING: "${GREETING:-none}"}
                    volumes: ["./html:/srv"]
                    networks: [back]
                networks:
                  back: {}
                volumes:
                  cache: {}
                """,
            "sub/.env": "API_TAG=1.36\nGREETING=from-sub\n",
        ])
        let included = try load("""
            include:
              - sub/compose.yaml
            services:
              web:
                image: jarvis-test/busybox:latest
                depends_on: [api]
                networks: [back]
            """, env: "GREETING=from-main\n")
        let flat = try load("""
            services:
              web:
                image: jarvis-test/busybox:latest
                depends_on: [api]
                networks: [back]
              api:
                image: jarvis-test/busybox:1.36
                environment: {GREETING: from-main}
                volumes: ["./sub/html:/srv"]
                networks: [back]
            networks:
              back: {}
            volumes:
              cache: {}
            """)
        XCTAssertEqual(included.services.keys.sorted(), ["api", "web"])
        XCTAssertEqual(included.services["api"]?.image, "jarvis-test/busybox:1.36", "the included project's own .env")
        XCTAssertEqual(included.services["api"]?.environment, ["GREETING": "from-main"], "the including project's variables win")
        XCTAssertEqual(included.services["api"]?.volumes, flat.services["api"]?.volumes, "paths relative to the included file")
        XCTAssertEqual(included.services, flat.services)
        XCTAssertEqual(included.networks, flat.networks)
        XCTAssertEqual(included.volumes, flat.volumes)
        XCTAssertEqual(included.orderedServiceNames, ["api", "web"])
    }

    func testIncludeConflictsAndMissingBasesAreErrorsWithFileAndLine() throws {
        try write(["sub/compose.yaml": "services:\n  web:\n    image: x\n"])
        XCTAssertThrowsError(try load("include: [sub/compose.yaml]\nservices:\n  web:\n    image: y\n")) { error in
            XCTAssertEqual((error as? ComposeError)?.issues.map(\.description),
                           ["sub/compose.yaml:2: services.web: service web is also defined in compose.yaml:3; an included project may not redefine it"])
        }
        XCTAssertThrowsError(try load("services:\n  web:\n    extends: {file: common/none.yaml, service: base}\n")) { error in
            XCTAssertEqual((error as? ComposeError)?.issues.map(\.description), ["compose.yaml:3: services.web.extends: common/none.yaml does not exist"])
        }
        XCTAssertThrowsError(try load("services:\n  a:\n    extends: b\n  b:\n    extends: a\n")) { error in
            XCTAssertTrue((error as? ComposeError)?.issues.first?.message.hasPrefix("extends cycle") == true, "\(error)")
        }
        XCTAssertThrowsError(try load("services:\n  web:\n    extends: nothere\n")) { error in
            XCTAssertEqual((error as? ComposeError)?.issues.map(\.message), ["extends names service \"nothere\", which compose.yaml does not define"])
        }
    }

    func testAServiceUsingExtendsNeedsNoImageOfItsOwn() throws {
        let project = try load("services:\n  base:\n    image: x\n  web:\n    extends:\n      service: base\n    environment: [A=1]\n")
        XCTAssertEqual(project.services["web"]?.image, "x")
        XCTAssertEqual(project.services["web"]?.environment, ["A": "1"])
    }

    /// Jarvis, not the engine, reads extended and included files: one outside the stack's folder
    /// (another stack's compose.yaml or .env, a host file) hands its values to the services, so only an admin may.
    func testExtendedAndIncludedFilesOutsideTheFolderAreHostAccess() throws {
        let other = folder + "-other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: other) }
        try "services:\n  db:\n    image: x\n    environment: {PASSWORD: hunter2}\n".write(toFile: other + "/compose.yaml", atomically: true, encoding: .utf8)
        try "HOST_SECRET=s3cret\n".write(toFile: other + "/.env", atomically: true, encoding: .utf8)
        try write(["sub/compose.yaml": "services:\n  leak:\n    image: x\n    environment: [\"GOT=${HOST_SECRET:-none}\"]\n",
                   "common/base.yaml": "services:\n  base:\n    image: x\n"])
        let otherName = (other as NSString).lastPathComponent
        let project = try load("""
            include:
              - path: sub/compose.yaml
                env_file: ../\(otherName)/.env
            services:
              web:
                extends: {file: ../\(otherName)/compose.yaml, service: db}
              inside:
                extends: {file: common/base.yaml, service: base}
            """)
        XCTAssertEqual(project.services["leak"]?.environment["GOT"], "s3cret")
        XCTAssertEqual(project.hostAccess.map(\.path).sorted(), ["include[0]", "services.web.extends"])
        XCTAssertEqual(project.hostAccess.map(\.message).sorted(), ["reads \(other)/compose.yaml, outside the stack's folder",
                                                                     "reads the env file \(other)/.env, outside the stack's folder"])
    }
}
