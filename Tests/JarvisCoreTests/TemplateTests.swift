import Compose
@testable import JarvisCore
import JarvisStore
import XCTest

/// The template format, values and `.env` rendering, and the built-in catalog under Jarvis's own Compose loader.
final class TemplateTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let sample = """
        x-jarvis:
          title: Sample
          description: A test template
          categories: [test]
          version: "2"
          requires: [infra]
          fields:
            - name: db_password
              type: random
              length: 24
              alphabet: hex
            - name: port
              env: WEB_PORT
              type: port
              default: 8080
              required: true
            - name: mode
              type: select
              default: fast
              options:
                - fast
                - {value: safe, label: Safe mode}
            - name: replicas
              type: number
              min: 1
              max: 5
              default: 1
            - name: debug
              type: boolean
              default: false
            - name: owner
              required: true
              regex: "[a-z]+"
        services:
          web:
            image: busybox
            environment:
              PASSWORD: ${DB_PASSWORD}
              MODE: ${MODE}
            ports: ["${WEB_PORT}:80"]
        """

    func testParsesTheBlock() throws {
        let template = try TemplateFormat.parse(Self.sample, id: "sample")
        XCTAssertEqual(template.id, "builtin.sample")
        XCTAssertEqual(template.title, "Sample")
        XCTAssertEqual(template.version, "2")
        XCTAssertEqual(template.requires, ["infra"])
        XCTAssertEqual(template.fields.map(\.name), ["db_password", "port", "mode", "replicas", "debug", "owner"])
        XCTAssertEqual(template.fields[0].env, "DB_PASSWORD")
        XCTAssertEqual(template.fields[1].env, "WEB_PORT")
        XCTAssertEqual(template.fields[1].defaultValue, "8080")
        XCTAssertEqual(template.fields[2].options, [.init(value: "fast", label: "fast"), .init(value: "safe", label: "Safe mode")])
        XCTAssertEqual(TemplateFormat.requires(composeText: Self.sample), ["infra"])
    }

    func testFormatErrorsNameTheKey() {
        func error(_ text: String) -> String? {
            do { _ = try TemplateFormat.parse(text, id: "x"); return nil } catch let error as TemplateFormatError { return error.path } catch { return "other" }
        }
        XCTAssertEqual(error("services: {}"), "x-jarvis")
        XCTAssertEqual(error("x-jarvis: {description: d}\nservices: {}"), "x-jarvis.title")
        XCTAssertEqual(error("x-jarvis: {title: t, colour: red}\nservices: {}"), "x-jarvis.colour")
        XCTAssertEqual(error("x-jarvis: {title: t, fields: [{name: a, type: slider}]}\nservices: {}"), "x-jarvis.fields[0].type")
        XCTAssertEqual(error("x-jarvis: {title: t, fields: [{name: a, type: select}]}\nservices: {}"), "x-jarvis.fields[0].options")
        XCTAssertEqual(error("x-jarvis: {title: t, fields: [{name: a, type: port, default: 70000}]}\nservices: {}"), "x-jarvis.fields[0].default")
        XCTAssertEqual(error("x-jarvis: {title: t, fields: [{name: a}, {name: a}]}\nservices: {}"), "x-jarvis.fields[1].name")
        XCTAssertEqual(error("x-jarvis: {title: t, fields: [{name: a, regex: \"(\"}]}\nservices: {}"), "x-jarvis.fields[0].regex")
        XCTAssertEqual(error("x-jarvis: {title: t, fields: [{name: a, type: random, length: 4}]}\nservices: {}"), "x-jarvis.fields[0].length")
        XCTAssertEqual(error("x-jarvis: {title: t, requires: [\"../etc\"]}\nservices: {}"), "x-jarvis.requires[0]")
    }

    func testValuesAreCheckedOnTheirField() throws {
        let template = try TemplateFormat.parse(Self.sample, id: "sample")
        func field(_ values: [String: JSONValue]) -> String? {
            do { _ = try TemplateValues.resolve(template, values); return nil } catch let error as JarvisError { return error.field } catch { return "other" }
        }
        XCTAssertNil(field(["owner": .string("ann")]))
        XCTAssertEqual(field([:]), "values.owner", "required without a default")
        XCTAssertEqual(field(["owner": .string("Ann")]), "values.owner", "the regex is case-sensitive and anchored")
        XCTAssertEqual(field(["owner": .string("ann1")]), "values.owner")
        XCTAssertEqual(field(["owner": .string("ann"), "port": .number(0)]), "values.port")
        XCTAssertEqual(field(["owner": .string("ann"), "port": .string("80x")]), "values.port")
        XCTAssertEqual(field(["owner": .string("ann"), "mode": .string("slow")]), "values.mode")
        XCTAssertEqual(field(["owner": .string("ann"), "replicas": .number(9)]), "values.replicas")
        XCTAssertEqual(field(["owner": .string("ann"), "debug": .string("maybe")]), "values.debug")
        XCTAssertEqual(field(["owner": .string("ann"), "db_password": .string("mine")]), "values.db_password", "random secrets are generated")
        XCTAssertEqual(field(["owner": .string("ann"), "colour": .string("red")]), "values.colour", "unknown fields are refused")
        XCTAssertEqual(field(["owner": .string("a\nb")]), "values.owner")
    }

    func testRendersTheEnvFileWithAGeneratedSecret() throws {
        let template = try TemplateFormat.parse(Self.sample, id: "sample")
        let values = try TemplateValues.resolve(template, ["owner": .string("ann"), "port": .number(18080), "debug": .bool(true)])
        let env = Dictionary(uniqueKeysWithValues: try EnvFile.parse(values.envText(header: "test")))
        XCTAssertEqual(env["WEB_PORT"], "18080")
        XCTAssertEqual(env["MODE"], "fast")
        XCTAssertEqual(env["DEBUG"], "true")
        XCTAssertEqual(env["OWNER"], "ann")
        let secret = try XCTUnwrap(env["DB_PASSWORD"])
        XCTAssertEqual(secret.count, 24)
        XCTAssertTrue(secret.allSatisfy { "0123456789abcdef".contains($0) })
        XCTAssertEqual(values.secretKeys, ["DB_PASSWORD"])
        XCTAssertEqual(values.ports.map(\.port), [18080])
        let again = try TemplateValues.resolve(template, ["owner": .string("ann")])
        XCTAssertNotEqual(again.pairs.first { $0.0 == "DB_PASSWORD" }?.1, secret, "each deploy draws a new secret")
    }

    func testValuesWithQuotesAndDollarsRoundTrip() throws {
        let template = try TemplateFormat.parse("x-jarvis: {title: t, fields: [{name: note}]}\nservices: {a: {image: busybox}}", id: "t")
        for text in ["it's", "a $HOME b", "x\"y", "#hash", " spaced "] {
            let values = try TemplateValues.resolve(template, ["note": .string(text)])
            XCTAssertEqual(try EnvFile.parse(values.envText(header: "h")).first?.1, text)
        }
        XCTAssertThrowsError(try TemplateValues.resolve(template, ["note": .string("ends\\")]))
    }

    func testSecretsAreMaskedAndRestored() {
        let env = "# header\nDB_PASSWORD='s3cret'\nPORT='80'\n"
        let masked = TemplateSecretMask.mask(env, keys: ["DB_PASSWORD"])
        XCTAssertFalse(masked.contains("s3cret"))
        XCTAssertEqual(masked.split(separator: "\n", omittingEmptySubsequences: false).count, env.split(separator: "\n", omittingEmptySubsequences: false).count)
        let edited = masked.replacingOccurrences(of: "PORT='80'", with: "PORT='81'")
        let restored = TemplateSecretMask.restore(edited, current: env, keys: ["DB_PASSWORD"])
        XCTAssertEqual(restored, "# header\nDB_PASSWORD='s3cret'\nPORT='81'\n")
        XCTAssertEqual(TemplateSecretMask.restore("DB_PASSWORD=new\n", current: env, keys: ["DB_PASSWORD"]), "DB_PASSWORD=new\n", "a new value is kept")
    }

    /// Every built-in template parses, renders with its defaults, and passes the Compose loader with no
    /// errors and nothing that reaches into the host (so an operator can deploy each).
    func testEveryBuiltinTemplateIsAValidStack() throws {
        let directory = Self.repository + "/templates"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
        for required in ["postgres", "redis", "minio", "qdrant", "meilisearch", "nginx", "mariadb", "mongodb", "gitea", "grafana",
                         "prometheus", "uptime-kuma", "n8n", "dify"] {
            XCTAssertTrue(names.contains(required), "built-in \(required) is missing")
        }
        let catalog = TemplateCatalog(templatesDir: directory, database: try AppDatabase(path: NSTemporaryDirectory() + "jarvis-templates-\(UUID().uuidString)/jarvis.db")).builtin()
        XCTAssertEqual(catalog.errors, [])
        XCTAssertEqual(catalog.templates.count, names.count)
        for template in catalog.templates {
            var values: [String: JSONValue] = [:]
            for field in template.fields where field.required && field.defaultValue == nil && field.type != .random {
                values[field.name] = .string("Value1x")
            }
            let rendered = try TemplateValues.resolve(template, values)
            let folder = NSTemporaryDirectory() + "jarvis-template-test/" + template.defaultStack
            do {
                let project = try ComposeLoader().load(folder: folder, name: template.defaultStack, text: template.compose, fileName: "compose.yaml",
                                                       envText: rendered.envText(header: "test"))
                XCTAssertEqual(project.hostAccess.map(\.description), [], template.id)
                XCTAssertFalse(project.services.isEmpty, template.id)
                XCTAssertFalse(template.title.isEmpty || template.description.isEmpty || template.categories.isEmpty, template.id)
            } catch let error as ComposeError {
                XCTFail("\(template.id): \(error.issues.map(\.description).joined(separator: "; "))")
            }
        }
        let dify = try XCTUnwrap(catalog.templates.first { $0.id == "builtin.dify" })
        XCTAssertGreaterThanOrEqual(try ComposeLoader().load(folder: "/tmp/dify", name: "dify", text: dify.compose, fileName: "compose.yaml",
                                                             envText: TemplateValues.resolve(dify, [:]).envText(header: "t")).services.count, 5)
    }
}
