import Compose
@testable import JarvisCore
import XCTest

/// Portainer App Templates v2 and v3 lists convert as docs/templates.md says.
final class PortainerImportTests: XCTestCase {
    static let v2 = """
        {"version": "2", "templates": [
          {"type": 1, "title": "Registry", "description": "Docker image registry", "categories": ["docker"], "platform": "linux",
           "logo": "https://example.com/registry.png", "image": "registry:latest", "restart_policy": "unless-stopped",
           "ports": ["5000:5000/tcp", "443/tcp"],
           "volumes": [{"container": "/var/lib/registry"}, {"container": "/certs", "bind": "/etc/certs", "readonly": true}],
           "labels": [{"name": "com.example.vendor", "value": "Acme $ co"}],
           "env": [
             {"name": "REGISTRY_PASSWORD", "label": "Password"},
             {"name": "REGISTRY_LOG_LEVEL", "label": "Log level", "select": [
                {"text": "Debug", "value": "debug"}, {"text": "Info", "value": "info", "default": true}]},
             {"name": "REGISTRY_FIXED", "default": "on", "preset": true},
             {"name": "REGISTRY_HTTP_ADDR", "label": "Listen", "default": ":5000", "description": "address"}
           ],
           "maintainer": "someone", "interactive": true, "hostname": "reg"},
          {"type": 3, "title": "WordPress", "description": "Blog", "note": "Stack <b>note</b>", "categories": ["CMS"],
           "repository": {"url": "https://github.com/portainer/templates", "stackfile": "stacks/wordpress/docker-compose.yml"},
           "env": [{"name": "MYSQL_DATABASE_PASSWORD", "label": "Database root password"}]},
          {"type": 1, "title": "Registry", "description": "the same title twice", "image": "registry:2"}
        ]}
        """

    static let v3 = """
        {"version": "3", "templates": [
          {"id": 7, "type": 1, "title": "Nginx", "description": "web server", "image": "nginx:latest", "ports": ["80/tcp"],
           "administrator_only": true},
          {"id": 12, "type": 2, "title": "Swarm thing", "description": "swarm",
           "repository": {"url": "https://example.com/r.git", "stackfile": "s.yml"}}
        ]}
        """

    func testV2ContainerBecomesAOneServiceComposeFile() throws {
        let result = try PortainerImport.convert(Data(Self.v2.utf8), source: "community")
        XCTAssertEqual(result.templates.count, 3)
        let registry = result.templates[0]
        XCTAssertEqual(registry.id, "community.1-registry")
        XCTAssertEqual(registry.source, "community")
        XCTAssertEqual(registry.platforms, ["linux"])
        XCTAssertEqual(registry.logo, "https://example.com/registry.png")
        XCTAssertTrue(registry.deployable)
        XCTAssertEqual(registry.fields.map(\.env), ["REGISTRY_PASSWORD", "REGISTRY_LOG_LEVEL", "REGISTRY_FIXED", "REGISTRY_HTTP_ADDR"])
        XCTAssertEqual(registry.fields[0].type, .password, "a secret-looking name is a password field")
        XCTAssertTrue(registry.fields[0].required, "no default: it must be filled")
        XCTAssertEqual(registry.fields[1].type, .select)
        XCTAssertEqual(registry.fields[1].options, [.init(value: "debug", label: "Debug"), .init(value: "info", label: "Info")])
        XCTAssertEqual(registry.fields[1].defaultValue, "info")
        XCTAssertTrue(registry.fields[2].preset)
        XCTAssertEqual(registry.fields[3].description, "address")
        XCTAssertEqual(registry.warnings, ["maintainer: not supported, ignored"])

        let values = try TemplateValues.resolve(registry, ["registry_password": .string("pw")])
        let project = try ComposeLoader().load(folder: "/tmp/registry", name: "registry", text: registry.compose, fileName: "compose.yaml",
                                               envText: values.envText(header: "t"))
        let service = try XCTUnwrap(project.services["registry"])
        XCTAssertEqual(service.image, "registry:latest")
        XCTAssertEqual(service.restart, "unless-stopped")
        XCTAssertEqual(service.environment["REGISTRY_LOG_LEVEL"], "info")
        XCTAssertEqual(service.environment["REGISTRY_FIXED"], "on")
        XCTAssertEqual(service.environment["REGISTRY_PASSWORD"], "pw")
        XCTAssertEqual(service.ports.flatMap(\.publishedPorts), [5000])
        XCTAssertEqual(service.ports.count, 2)
        XCTAssertEqual(service.volumes.map(\.target), ["/var/lib/registry", "/certs"])
        XCTAssertEqual(service.volumes.map(\.kind), [.volume, .bind])
        XCTAssertEqual(service.labels["com.example.vendor"], "Acme $ co", "a literal $ is escaped from interpolation")
        XCTAssertEqual(service.hostname, "reg")
        XCTAssertFalse(project.hostAccess.isEmpty, "the bind mount reaches into the host: admins only")
    }

    func testV2StackEntriesAreListedNotDeployable() throws {
        let result = try PortainerImport.convert(Data(Self.v2.utf8), source: "community")
        let wordpress = result.templates[1]
        XCTAssertFalse(wordpress.deployable)
        XCTAssertEqual(wordpress.notes, "Stack <b>note</b>")
        XCTAssertTrue(wordpress.warnings.contains { $0.contains("stacks/wordpress/docker-compose.yml") && $0.contains("github.com/portainer/templates") })
        XCTAssertEqual(wordpress.fields.first?.type, .password)
        XCTAssertEqual(result.templates[2].id, "community.3-registry", "ids stay unique")
    }

    func testV3UsesTheNumericIDAndKeepsAdminOnly() throws {
        let result = try PortainerImport.convert(Data(Self.v3.utf8), source: "v3list")
        XCTAssertEqual(result.templates.map(\.id), ["v3list.7-nginx", "v3list.12-swarm-thing"])
        XCTAssertTrue(result.templates[0].adminOnly)
        XCTAssertFalse(result.templates[1].deployable)
        XCTAssertTrue(result.templates[1].warnings.contains { $0.hasPrefix("type 2") })
        XCTAssertEqual(result.templates[0].warnings, [])
    }

    func testRefusesOtherDocuments() {
        for text in ["[]", "{\"version\": \"1\", \"templates\": []}", "{\"version\": \"2\"}", "not json"] {
            XCTAssertThrowsError(try PortainerImport.convert(Data(text.utf8), source: "x")) { error in
                XCTAssertEqual((error as? JarvisError)?.field, "file", text)
            }
        }
    }
}
