@testable import Compose
import Foundation
import XCTest

/// `.env` and `env_file` read as the Compose specification's "Env_file format" section and
/// compose-go's dotenv package (its `plain.env` and `quoted.env` fixtures) do.
final class EnvFileTests: XCTestCase {
    private func parsed(_ text: String, base: [String: String]? = [:]) throws -> [String: String] {
        Dictionary(try EnvFile.parse(text, interpolating: base), uniquingKeysWith: { $1 })
    }

    /// Each row: a line as written, the value Compose gives it.
    func testTheSpecificationTable() throws {
        let rows: [(String, String)] = [
            (#"VAR=VAL"#, "VAL"),
            (#"VAR="VAL""#, "VAL"),
            (#"VAR='VAL'"#, "VAL"),
            (#"VAR=VAL # comment"#, "VAL"),
            (#"VAR=VAL# not a comment"#, "VAL# not a comment"),
            (#"VAR="VAL # not a comment""#, "VAL # not a comment"),
            (#"VAR="VAL" # comment"#, "VAL"),
            (#"VAR='VAL' # comment"#, "VAL"),
            (#"VAR='$OTHER'"#, "$OTHER"),
            (#"VAR='${OTHER}'"#, "${OTHER}"),
            (#"VAR='Let\'s go!'"#, "Let's go!"),
            (#"VAR="{\"hello\": \"json\"}""#, #"{"hello": "json"}"#),
            (#"VAR="some\tvalue""#, "some\tvalue"),
            (#"VAR='some\tvalue'"#, #"some\tvalue"#),
            (#"VAR=some\tvalue"#, #"some\tvalue"#),
            (#"VAR="a\\b\nc\rd""#, "a\\b\nc\rd"),
            (#"VAR="cost \$5""#, "cost $5"),
            (#"VAR="$OTHER and ${OTHER}""#, "other and other"),
            (#"VAR=$OTHER"#, "other"),
            (#"VAR='\n'"#, #"\n"#),
            (#"VAR="\n""#, "\n"),
            (#"VAR="""#, ""),
            (#"VAR="#, ""),
            (#"VAR = spaced "#, "spaced"),
            (#"export VAR=exported"#, "exported"),
            (#"VAR: yaml-style"#, "yaml-style"),
            (#"VAR="echo 'asd'""#, "echo 'asd'"),
        ]
        for (line, expected) in rows {
            XCTAssertEqual(try parsed("OTHER=other\n" + line)["VAR"], expected, line)
        }
    }

    func testQuotedValuesSpanLines() throws {
        let values = try parsed("""
            OPTION_J='line 1
            line 2'
            OPTION_K='line one
            this is \\'quoted\\'
            one more line'
            OPTION_L="line 1
            line 2"
            OPTION_M="line one
            this is \\"quoted\\"
            one more line"
            AFTER=1
            """)
        XCTAssertEqual(values["OPTION_J"], "line 1\nline 2")
        XCTAssertEqual(values["OPTION_K"], "line one\nthis is 'quoted'\none more line")
        XCTAssertEqual(values["OPTION_L"], "line 1\nline 2")
        XCTAssertEqual(values["OPTION_M"], "line one\nthis is \"quoted\"\none more line")
        XCTAssertEqual(values["AFTER"], "1")
    }

    func testPlainFixture() throws {
        let values = try parsed("OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\nOPTION_F =\nOPTION_G=\nOPTION_H=1 2\n")
        XCTAssertEqual(values, ["OPTION_A": "1", "OPTION_B": "2", "OPTION_C": "3", "OPTION_D": "4", "OPTION_E": "5",
                                "OPTION_F": "", "OPTION_G": "", "OPTION_H": "1 2"])
    }

    func testBOMLineEndingsAndKeyCharacters() throws {
        XCTAssertEqual(try parsed("\u{FEFF}A=1\r\nB=\"2\"\r\n# c\r\nC='3' # x\r\n"), ["A": "1", "B": "2", "C": "3"])
        XCTAssertEqual(try parsed("1KEY=digit\na.b-c[0]=d\nárvíz=tűrő\n"), ["1KEY": "digit", "a.b-c[0]": "d", "árvíz": "tűrő"],
                       "compose-go accepts letters, digits (also first), _ . - [ ]")
    }

    func testInterpolationUsesEarlierKeysAndTheBase() throws {
        let values = try parsed("A=1\nB=${A}2\nC=\"${BASE:-none}\"\nD='${A}'\nE=${MISSING:-fallback}\n", base: ["BASE": "b"])
        XCTAssertEqual(values, ["A": "1", "B": "12", "C": "b", "D": "${A}", "E": "fallback"])
        XCTAssertEqual(try parsed("A=1\nB=${A}\n", base: nil)["B"], "${A}", "no base: no interpolation")
        XCTAssertEqual(try parsed("BASE\nOTHER\n", base: ["BASE": "inherited"]), ["BASE": "inherited"], "a bare key takes the variable's value")
    }

    func testErrorsNameTheLine() {
        XCTAssertThrowsError(try parsed("A=1\nB=\"unterminated\nC=3\n")) { error in
            XCTAssertEqual((error as? EnvFile.LineError)?.line, 2)
            XCTAssertEqual((error as? EnvFile.LineError)?.message, "unterminated quoted value")
        }
        XCTAssertThrowsError(try parsed("A=1\n%!x=1\n")) { error in
            XCTAssertEqual((error as? EnvFile.LineError)?.line, 2)
            XCTAssertEqual((error as? EnvFile.LineError)?.message, "unexpected character \"%\" in variable name \"%!x=1\"")
        }
        XCTAssertThrowsError(try parsed("A=${NEEDED:?set it}\n")) { error in
            XCTAssertEqual((error as? EnvFile.LineError)?.message, "required variable NEEDED: set it")
        }
    }

    func testRawFormatTakesValuesAsWritten() throws {
        let pairs = try EnvFile.parseRaw("\u{FEFF}# comment\nA=\"quoted\" # kept\nB=${X}\nC='x'\n\nD=a=b\n")
        XCTAssertEqual(pairs.map { "\($0.0)=\($0.1)" }, ["A=\"quoted\" # kept", "B=${X}", "C='x'", "D=a=b"])
    }

    func testEnvFileFormatRawInACompose() throws {
        let folder = NSTemporaryDirectory() + "compose-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        try "PASSWORD='p@ss $word'\n".write(toFile: folder + "/raw.env", atomically: true, encoding: .utf8)
        try "GREETING=\"hello # world\" # comment\n".write(toFile: folder + "/app.env", atomically: true, encoding: .utf8)
        let project = try ComposeLoader().load(folder: folder, name: "app", text: """
            services:
              web:
                image: x
                env_file:
                  - path: raw.env
                    format: raw
                  - app.env
            """)
        XCTAssertEqual(project.services["web"]?.environment, ["PASSWORD": "'p@ss $word'", "GREETING": "hello # world"])
    }
}
