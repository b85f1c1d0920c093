import JarvisCore
import XCTest

/// One masking rule: secret-looking names, and URLs with user info whatever the name.
final class SecretMaskTests: XCTestCase {
    func testSecretLookingNames() {
        let table: [(String, Bool)] = [
            ("PASS", true), ("PWD", true), ("MYSQL_PWD", true), ("DB_PASSWORD", true), ("db_passwd", true), ("api_key", true),
            ("AWS_SECRET_ACCESS_KEY", true), ("private", true), ("GITHUB_TOKEN", true), ("Credentials_File", true),
            ("SSH_PRIVATE_KEY", true), ("PATH", false), ("HOME", false), ("DATABASE_URL", false), ("LANG", false), ("USER", false),
        ]
        for (name, secret) in table {
            XCTAssertEqual(SecretMask.isSecretKey(name), secret, name)
        }
    }

    func testUserInfoIsStrippedFromURLs() {
        XCTAssertEqual(SecretMask.stripUserInfo("postgres://app:pw@db/x"), "postgres://app:***@db/x")
        XCTAssertEqual(SecretMask.stripUserInfo("https://user:tok@127.0.0.1:1/x.git#main:sub"), "https://user:***@127.0.0.1:1/x.git#main:sub")
        XCTAssertEqual(SecretMask.stripUserInfo("https://ghp_abc123@github.com/o/r.git"), "https://***@github.com/o/r.git", "a lone name is often a token")
        XCTAssertEqual(SecretMask.stripUserInfo("redis://:p@ss/w0rd@cache:6379/0"), "redis://:***@cache:6379/0", "unencoded / and @ in a password")
        XCTAssertEqual(SecretMask.stripUserInfo("https://example.com/a@b"), "https://example.com/a@b", "an @ in the path is not user info")
        XCTAssertEqual(SecretMask.stripUserInfo("git@github.com:o/r.git"), "git@github.com:o/r.git")
        XCTAssertEqual(SecretMask.stripUserInfo("postgres://app:***@db/x"), "postgres://app:***@db/x", "masking twice changes nothing")
        XCTAssertEqual(SecretMask.maskURLs(in: "clone 'https://u:secret1@h/r.git' failed; see amqp://guest:guest2@mq"),
                       "clone 'https://u:***@h/r.git' failed; see amqp://guest:***@mq")
        XCTAssertFalse(SecretMask.hasUserInfo("https://h/r.git"))
        XCTAssertTrue(SecretMask.hasUserInfo("https://u:p@h/r.git"))
    }

    func testEnvironmentEntries() {
        let masked = SecretMask.maskEnvironmentEntries([
            "DB_PASS=hunter2", "PWD=/app", "api_key=abc", "AWS_SECRET_ACCESS_KEY=wJalr", "private=1", "PLAIN=visible",
            "DATABASE_URL=postgres://app:pw@db/x", "EMPTY_TOKEN=", "NOEQUALS",
        ])
        XCTAssertEqual(masked, [
            "DB_PASS=••••••", "PWD=••••••", "api_key=••••••", "AWS_SECRET_ACCESS_KEY=••••••", "private=••••••", "PLAIN=visible",
            "DATABASE_URL=postgres://app:***@db/x", "EMPTY_TOKEN=", "NOEQUALS",
        ])
    }

    func testEnvFileKeepsCommentsAndLayout() {
        let text = """
        # database settings
        DB_USER=app
        DB_PASSWORD=hunter2   # rotated monthly
        export API_KEY="abc def"  # quoted
        SECRET_SINGLE='x y'

        DATABASE_URL=postgres://app:pw@db/x
        MULTI_TOKEN="line one
        line two
        end" # after
        AFTER=ok
        """
        let masked = SecretMask.maskEnvText(text)
        XCTAssertEqual(masked, """
        # database settings
        DB_USER=app
        DB_PASSWORD=••••••   # rotated monthly
        export API_KEY="••••••"  # quoted
        SECRET_SINGLE='••••••'

        DATABASE_URL=postgres://app:***@db/x
        MULTI_TOKEN="••••••

        " # after
        AFTER=ok
        """)
        XCTAssertEqual(masked.split(separator: "\n", omittingEmptySubsequences: false).count,
                       text.split(separator: "\n", omittingEmptySubsequences: false).count)
        for secret in ["hunter2", "abc def", "x y", "pw@", "line one", "line two"] { XCTAssertFalse(masked.contains(secret), secret) }
    }

    func testComposeMapAndListFormsKeepTheirLines() {
        let text = """
        services:
          db:
            image: postgres:16
            environment:
              POSTGRES_USER: app
              POSTGRES_PASSWORD: hunter2 # keep me
              "QUOTED_TOKEN": "t0k3n"
              DATABASE_URL: postgres://app:pw@db/x
              PRIVATE_PEM: |
                -----BEGIN KEY-----
                abcdef
              AFTER_BLOCK: visible
          web:
            image: nginx
            environment:
              - DB_PASS=s3cret
              - "API_KEY=with space"
              - MODE=prod
              - REDIS_URL=redis://:pw2@cache:6379
            build:
              context: .
              args:
                NPM_TOKEN: npmtok
            command: ["sh", "-c", "run --x SECRET_VALUE=inline1"]
            labels: { app.role: web, deploy.key: k9 }
        """
        let masked = SecretMask.maskComposeText(text)
        let lines = masked.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.count, text.split(separator: "\n", omittingEmptySubsequences: false).count, "line numbers unchanged")
        XCTAssertEqual(lines[4], "      POSTGRES_USER: app")
        XCTAssertEqual(lines[5], "      POSTGRES_PASSWORD: •••••• # keep me")
        XCTAssertEqual(lines[6], "      \"QUOTED_TOKEN\": \"••••••\"")
        XCTAssertEqual(lines[7], "      DATABASE_URL: postgres://app:***@db/x")
        XCTAssertEqual(lines[8], "      PRIVATE_PEM: |")
        XCTAssertEqual(lines[9], "        ••••••")
        XCTAssertEqual(lines[10], "        ••••••")
        XCTAssertEqual(lines[11], "      AFTER_BLOCK: visible")
        XCTAssertEqual(lines[15], "      - DB_PASS=••••••")
        XCTAssertEqual(lines[16], "      - \"API_KEY=••••••\"")
        XCTAssertEqual(lines[17], "      - MODE=prod")
        XCTAssertEqual(lines[18], "      - REDIS_URL=redis://:***@cache:6379")
        XCTAssertEqual(lines[22], "        NPM_TOKEN: ••••••")
        XCTAssertEqual(lines[23], "    command: [\"sh\", \"-c\", \"run --x SECRET_VALUE=••••••\"]")
        XCTAssertEqual(lines[24], "    labels: { app.role: web, deploy.key: •••••• }")
        for secret in ["hunter2", "t0k3n", "pw@", "abcdef", "s3cret", "with space", "pw2", "npmtok", "inline1", "k9"] {
            XCTAssertFalse(masked.contains(secret), secret)
        }
    }

    func testDictionaries() {
        XCTAssertEqual(SecretMask.maskDictionary(["password": "x", "source": "https://u:tok@h/r.git", "timeout": "3"]),
                       ["password": "••••••", "source": "https://u:***@h/r.git", "timeout": "3"])
    }
}
