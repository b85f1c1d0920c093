import Foundation
import JarvisCore
import JarvisStore
import GRDB
import XCTest

final class PasswordHasherTests: XCTestCase {
    func testHashesVerifyAndAreSalted() throws {
        let hasher = PasswordHasher(logN: 10)
        let first = try hasher.hash("correct horse battery")
        let second = try hasher.hash("correct horse battery")
        XCTAssertNotEqual(first, second, "each hash has its own salt")
        XCTAssertTrue(first.hasPrefix("scrypt$10$8$1$"))
        XCTAssertTrue(hasher.verify("correct horse battery", against: first))
        XCTAssertFalse(hasher.verify("correct horse batterY", against: first))
        XCTAssertFalse(hasher.verify("anything", against: "plain-text-password"))
        XCTAssertFalse(hasher.verify("x", against: "scrypt$99$8$1$AAAA$AAAA"), "absurd cost parameters are refused")
    }
}

final class ConfigTests: XCTestCase {
    func testFileValuesAndEnvironmentOverrides() throws {
        let path = NSTemporaryDirectory() + "jarvis-conf-\(UUID().uuidString).conf"
        try "# comment\ndata_dir = /srv/jarvis  # trailing\nfcgi_threads = 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try JarvisConfig.load(environment: ["JARVIS_CONFIG": path, "JARVIS_FCGI_THREADS": "7"])
        XCTAssertEqual(config.dataDir, "/srv/jarvis")
        XCTAssertEqual(config.databasePath, "/srv/jarvis/jarvis.db")
        XCTAssertEqual(config.fcgiThreads, 7)
        XCTAssertEqual(config.accessTokenSeconds, 900)
    }

    func testRejectsUnknownKeysAndBadNumbersWithTheLine() throws {
        let path = NSTemporaryDirectory() + "jarvis-conf-\(UUID().uuidString).conf"
        try "data_dir = /x\ncolour = blue\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try JarvisConfig.load(environment: ["JARVIS_CONFIG": path])) { error in
            XCTAssertTrue("\(error)".contains(":2: unknown key colour"), "\(error)")
        }
        XCTAssertThrowsError(try JarvisConfig.load(environment: ["JARVIS_CONFIG": "/nonexistent/jarvis.conf"]))
        try "fcgi_threads = lots\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try JarvisConfig.load(environment: ["JARVIS_CONFIG": path]))
    }
}

extension ConfigTests {
    func testTheShippedConfigParsesAndAFileBesideTheBinaryIsFound() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let shipped = try JarvisConfig.load(environment: ["JARVIS_CONFIG": root + "/deploy/jarvis.conf"])
        XCTAssertEqual(shipped.fcgiSocket, "/run/jarvis/jarvis-fcgi.sock")
        XCTAssertEqual(shipped.stacksDir, "/opt/stacks")
        XCTAssertEqual(shipped.backupDir, "/var/lib/jarvis/backups")
        XCTAssertEqual(shipped.backupKeep, 7)
        // A shared host has no /etc/jarvis: the file next to jarvis-fcgi is used.
        guard !FileManager.default.fileExists(atPath: "/etc/jarvis/jarvis.conf") else { return }
        let dir = NSTemporaryDirectory() + "jarvis-beside-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "data_dir = /srv/beside\nbackup_keep = 0\n".write(toFile: dir + "/jarvis.conf", atomically: true, encoding: .utf8)
        let beside = try JarvisConfig.load(environment: [:], executableDirectory: dir)
        XCTAssertEqual(beside.dataDir, "/srv/beside")
        XCTAssertEqual(beside.backupKeep, 0)
        XCTAssertEqual(beside.source, dir + "/jarvis.conf")
    }
}

final class SecretFileTests: XCTestCase {
    func testCreatesOnceWithMode0600AndRereadsTheSameKey() throws {
        let path = NSTemporaryDirectory() + "jarvis-key-\(UUID().uuidString)/signing.key"
        let first = try SecretFile.loadOrCreate(path: path)
        let second = try SecretFile.loadOrCreate(path: path)
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.count, 32)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
    }
}

final class AuthServiceTests: XCTestCase {
    private var database: AppDatabase!
    private var auth: AuthService!

    /// A fresh store and an auth service over it with a fixed signing key and a cheap hash.
    static func store(_ prefix: String) async throws -> (AppDatabase, AuthService) {
        let database = try AppDatabase(path: NSTemporaryDirectory() + "jarvis-\(prefix)-\(UUID().uuidString)/jarvis.db")
        let tokens = await TokenService(signingKey: Array(repeating: 7, count: 32), accessLifetime: 60)
        return (database, AuthService(database: database, tokens: tokens, hasher: PasswordHasher(logN: 10), refreshLifetime: 3600))
    }

    override func setUp() async throws {
        (database, auth) = try await AuthServiceTests.store("auth")
    }

    func testBootstrapCreatesOneAdminAndGeneratesAPasswordOnlyWhenNoneGiven() throws {
        let generated = try auth.bootstrapAdmin(password: nil)
        XCTAssertNotNil(generated)
        XCTAssertGreaterThanOrEqual(generated?.count ?? 0, 16)
        XCTAssertNil(try auth.bootstrapAdmin(password: "other password"), "a second start changes nothing")
        XCTAssertEqual(try database.userCount(), 1)
        XCTAssertEqual(try database.user(named: "ADMIN")?.role, "admin")
    }

    func testLoginFailsTheSameWayForUnknownUserAndWrongPassword() async throws {
        _ = try auth.bootstrapAdmin(password: "admin password 1")
        var messages: [String] = []
        for (user, password) in [("admin", "wrong"), ("nobody", "admin password 1")] {
            do {
                _ = try await auth.login(username: user, password: password, ip: nil, userAgent: nil)
                XCTFail("login must fail")
            } catch let error as JarvisError {
                XCTAssertEqual(error.status, 401)
                messages.append(error.message)
            }
        }
        XCTAssertEqual(messages[0], messages[1])
    }

    func testRefreshRotatesAndAReplayRevokesTheWholeFamily() async throws {
        _ = try auth.bootstrapAdmin(password: "admin password 1")
        let first = try await auth.login(username: "admin", password: "admin password 1", ip: "127.0.0.1", userAgent: "test")
        let principal = try await auth.authenticate(accessToken: first.accessToken, viaCookie: false)
        XCTAssertEqual(principal.username, "admin")
        XCTAssertEqual(principal.role, .admin)

        let second = try await auth.refresh(token: first.refreshToken, ip: nil, userAgent: nil)
        XCTAssertNotEqual(second.refreshToken, first.refreshToken)
        _ = try await auth.authenticate(accessToken: second.accessToken, viaCookie: false)

        // Replaying the used token: refused, and the current one dies with it.
        await assertUnauthorized("token_reused") { _ = try await self.auth.refresh(token: first.refreshToken, ip: nil, userAgent: nil) }
        await assertUnauthorized("token_reused") { _ = try await self.auth.refresh(token: second.refreshToken, ip: nil, userAgent: nil) }
        await assertUnauthorized("session_revoked") { _ = try await self.auth.authenticate(accessToken: second.accessToken, viaCookie: false) }
    }

    func testLogoutEndsTheSessionButNotOthers() async throws {
        _ = try auth.bootstrapAdmin(password: "admin password 1")
        let a = try await auth.login(username: "admin", password: "admin password 1", ip: nil, userAgent: nil)
        let b = try await auth.login(username: "admin", password: "admin password 1", ip: nil, userAgent: nil)
        let principal = try await auth.authenticate(accessToken: a.accessToken, viaCookie: true)
        try auth.logout(sessionID: principal.sessionID, refreshToken: nil)
        await assertUnauthorized("session_revoked") { _ = try await self.auth.authenticate(accessToken: a.accessToken, viaCookie: true) }
        await assertUnauthorized("token_reused") { _ = try await self.auth.refresh(token: a.refreshToken, ip: nil, userAgent: nil) }
        _ = try await auth.authenticate(accessToken: b.accessToken, viaCookie: true)
    }

    func testExpiredAndForgedAccessTokensAreRefused() async throws {
        _ = try auth.bootstrapAdmin(password: "admin password 1")
        let expiring = await TokenService(signingKey: Array(repeating: 7, count: 32), accessLifetime: -5)
        let stale = try await expiring.issue(userID: 1, username: "admin", role: "admin", sessionID: "s", csrf: "c")
        await assertUnauthorized("token_expired") { _ = try await self.auth.authenticate(accessToken: stale, viaCookie: false) }
        let otherKey = await TokenService(signingKey: Array(repeating: 9, count: 32), accessLifetime: 60)
        let forged = try await otherKey.issue(userID: 1, username: "admin", role: "admin", sessionID: "s", csrf: "c")
        await assertUnauthorized("invalid_token") { _ = try await self.auth.authenticate(accessToken: forged, viaCookie: false) }
    }

    private func assertUnauthorized(_ code: String, _ body: () async throws -> Void, line: UInt = #line) async {
        do {
            try await body()
            XCTFail("expected 401 \(code)", line: line)
        } catch let error as JarvisError {
            XCTAssertEqual(error.status, 401, line: line)
            XCTAssertEqual(error.code, code, line: line)
        } catch {
            XCTFail("unexpected \(error)", line: line)
        }
    }
}

final class StoreTests: XCTestCase {
    func testTwoOpenersOfOneFileMigrateOnceAndShareData() throws {
        let path = NSTemporaryDirectory() + "jarvis-store-\(UUID().uuidString)/jarvis.db"
        let openers = (0..<4).map { _ in DispatchQueue.global() }
        var stores: [AppDatabase?] = Array(repeating: nil, count: openers.count)
        var errors: [String] = []
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: openers.count) { index in
            do {
                let store = try AppDatabase(path: path)
                lock.withLock { stores[index] = store }
            } catch {
                lock.withLock { errors.append("\(error)") }
            }
        }
        XCTAssertEqual(errors, [], "every concurrent opener succeeds")
        XCTAssertEqual(try stores[0]!.appliedMigrations(), AppDatabase.migrationNames)
        XCTAssertEqual(AppDatabase.migrationNames.first, "001_users_tokens_audit_tasks_settings")
        try stores[1]!.setSetting("k", "v")
        XCTAssertEqual(try stores[2]!.setting("k"), "v")
        let mode = try String(stores[0]!.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } ?? "")
        XCTAssertEqual(mode, "wal")
    }
}

final class SecretBoxTests: XCTestCase {
    func testSealsOpensAndRefusesTamperingOrAnotherKey() throws {
        let dir = NSTemporaryDirectory() + "jarvis-box-\(UUID().uuidString)"
        let box = try SecretBox.load(dataDir: dir)
        let sealed = try box.seal("registry-password-Ω")
        XCTAssertTrue(sealed.hasPrefix("v1:"))
        XCTAssertFalse(sealed.contains("registry-password"))
        XCTAssertNotEqual(sealed, try box.seal("registry-password-Ω"), "a fresh nonce every time")
        XCTAssertEqual(try box.open(sealed), "registry-password-Ω")
        XCTAssertEqual(try SecretBox.load(dataDir: dir).open(sealed), "registry-password-Ω", "the key file is reused")
        var bytes = Array(sealed.utf8)
        bytes[bytes.count - 5] = bytes[bytes.count - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        XCTAssertThrowsError(try box.open(String(decoding: bytes, as: UTF8.self)))
        XCTAssertThrowsError(try SecretBox(key: Array(repeating: 1, count: 32)).open(sealed))
        XCTAssertThrowsError(try box.open("plain text"))
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/keys/secrets.key")[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
    }
}

/// Finding 8: the role and the account's state are read from the store on
/// every request, and role changes end the user's sessions.
final class ImmediateRoleTests: XCTestCase {
    private var database: AppDatabase!
    private var auth: AuthService!
    private var users: UserService!

    override func setUp() async throws {
        (database, auth) = try await AuthServiceTests.store("roles")
        users = UserService(database: database, hasher: PasswordHasher(logN: 10))
        _ = try auth.bootstrapAdmin(password: "admin password 1")
        _ = try users.create(username: "dora", password: "demoted admin pw", role: "admin")
    }

    private func code(_ body: () async throws -> Void) async -> String? {
        do { try await body(); return nil } catch let error as JarvisError { return "\(error.status) \(error.code)" } catch { return "\(error)" }
    }

    func testADemotedAdminsTokenCarriesTheNewRoleAtOnce() async throws {
        let dora = try await auth.login(username: "dora", password: "demoted admin pw", ip: "10.0.0.1", userAgent: nil)
        let role1 = try await auth.authenticate(accessToken: dora.accessToken, viaCookie: false).role
        XCTAssertEqual(role1, .admin)
        // Changed behind the service's back (no session revoked): the token still
        // says admin, the store says viewer, and the store wins.
        try await database.pool.write { try $0.execute(sql: "UPDATE users SET role = 'viewer', username = 'dora2' WHERE username = 'dora'") }
        let principal = try await auth.authenticate(accessToken: dora.accessToken, viaCookie: false)
        XCTAssertEqual(principal.role, .viewer)
        XCTAssertEqual(principal.username, "dora2")
    }

    func testARoleChangeEndsTheUsersSessionsAndRefreshTokens() async throws {
        let dora = try await auth.login(username: "dora", password: "demoted admin pw", ip: nil, userAgent: nil)
        let admin = try await auth.login(username: "admin", password: "admin password 1", ip: nil, userAgent: nil)
        let adminPrincipal = try await auth.authenticate(accessToken: admin.accessToken, viaCookie: false)
        _ = try users.update(dora.user.id, role: "viewer", disabled: nil, by: adminPrincipal)
        let refused = await code { _ = try await self.auth.authenticate(accessToken: dora.accessToken, viaCookie: false) }
        XCTAssertEqual(refused, "401 session_revoked")
        let refresh = await code { _ = try await self.auth.refresh(token: dora.refreshToken, ip: nil, userAgent: nil) }
        XCTAssertEqual(refresh, "401 token_reused", "the family was revoked: its refresh token is dead too")
        // The same role again changes nothing and ends nothing.
        let fresh = try await auth.login(username: "dora", password: "demoted admin pw", ip: nil, userAgent: nil)
        _ = try users.update(dora.user.id, role: "viewer", disabled: nil, by: adminPrincipal)
        let role2 = try await auth.authenticate(accessToken: fresh.accessToken, viaCookie: false).role
        XCTAssertEqual(role2, .viewer)
    }

    func testAnAdminChangingTheirOwnRoleKeepsOnlyTheSessionThatDidIt() async throws {
        let here = try await auth.login(username: "dora", password: "demoted admin pw", ip: nil, userAgent: nil)
        let elsewhere = try await auth.login(username: "dora", password: "demoted admin pw", ip: nil, userAgent: nil)
        let principal = try await auth.authenticate(accessToken: here.accessToken, viaCookie: false)
        _ = try users.update(principal.userID, role: "operator", disabled: nil, by: principal)
        let role3 = try await auth.authenticate(accessToken: here.accessToken, viaCookie: false).role
        XCTAssertEqual(role3, .operator_)
        let other = await code { _ = try await self.auth.authenticate(accessToken: elsewhere.accessToken, viaCookie: false) }
        XCTAssertEqual(other, "401 session_revoked")
    }

    func testDisabledAndDeletedAccountsAreRefusedWithTheirOwnCodes() async throws {
        let dora = try await auth.login(username: "dora", password: "demoted admin pw", ip: nil, userAgent: nil)
        // Disabled behind the service's back (no revocation): the account state alone refuses.
        try await database.pool.write { try $0.execute(sql: "UPDATE users SET disabled = 1 WHERE username = 'dora'") }
        let disabled = await code { _ = try await self.auth.authenticate(accessToken: dora.accessToken, viaCookie: false) }
        XCTAssertEqual(disabled, "401 account_disabled")
        try database.deleteUser(id: dora.user.id)
        let deleted = await code { _ = try await self.auth.authenticate(accessToken: dora.accessToken, viaCookie: false) }
        XCTAssertEqual(deleted, "401 account_deleted")
    }

    /// Rough cost of the per-request store read (docs/security.md quotes it).
    func testThePerRequestStoreReadIsCheap() async throws {
        let session = try await auth.login(username: "dora", password: "demoted admin pw", ip: nil, userAgent: nil)
        let principal = try await auth.authenticate(accessToken: session.accessToken, viaCookie: false)
        let rounds = 2000
        let started = Date()
        for _ in 0..<rounds { _ = try database.sessionUser(id: principal.userID, familyID: principal.sessionID) }
        let perRead = Date().timeIntervalSince(started) / Double(rounds)
        let startedOld = Date()
        for _ in 0..<rounds { _ = try database.isFamilyActive(principal.sessionID) }
        let perOldRead = Date().timeIntervalSince(startedOld) / Double(rounds)
        let startedFull = Date()
        for _ in 0..<rounds { _ = try await auth.authenticate(accessToken: session.accessToken, viaCookie: false) }
        let perAuth = Date().timeIntervalSince(startedFull) / Double(rounds)
        print("sessionUser read: \(Int(perRead * 1e6)) µs (the session-only read it replaced: \(Int(perOldRead * 1e6)) µs); "
              + "whole authenticate (JWT + read): \(Int(perAuth * 1e6)) µs")
        XCTAssertLessThan(perRead, 0.005, "one indexed read per request must stay well under a millisecond or so")
    }
}

/// Finding 11: failed logins throttle (username, IP) and IP with a growing
/// delay; a username alone is never locked.
final class LoginThrottleTests: XCTestCase {
    private var database: AppDatabase!
    private var auth: AuthService!

    override func setUp() async throws {
        let dir = NSTemporaryDirectory() + "jarvis-throttle-\(UUID().uuidString)"
        database = try AppDatabase(path: dir + "/jarvis.db")
        let tokens = await TokenService(signingKey: Array(repeating: 7, count: 32), accessLifetime: 60)
        var throttle = LoginThrottle()
        throttle.baseDelay = 0.3
        auth = AuthService(database: database, tokens: tokens, hasher: PasswordHasher(logN: 10), refreshLifetime: 3600, throttle: throttle)
        _ = try auth.bootstrapAdmin(password: "admin password 1")
    }

    private func attempt(_ password: String, from ip: String) async -> Int {
        do {
            _ = try await auth.login(username: "admin", password: password, ip: ip, userAgent: nil)
            return 200
        } catch let error as JarvisError { return error.status } catch { return 0 }
    }

    private func waitSeconds(_ ip: String) throws -> Double {
        let until = try XCTUnwrap(try database.loginLockedUntil(LoginThrottle.userPrefix("admin") + ip))
        return try XCTUnwrap(Timestamp.date(until)).timeIntervalSinceNow
    }

    func testTwentyFailuresForAdminFromOneAddressLeaveOtherAddressesAlone() async throws {
        var statuses: [Int] = []
        for index in 0..<20 {
            statuses.append(await attempt("wrong \(index)", from: "203.0.113.9"))
            if statuses.last == 429 { try await Task.sleep(nanoseconds: 50_000_000) }
        }
        XCTAssertEqual(Array(statuses.prefix(5)), [401, 401, 401, 401, 401])
        XCTAssertTrue(statuses.contains(429))
        let status4 = await attempt("admin password 1", from: "198.51.100.7")
        XCTAssertEqual(status4, 200, "admin from elsewhere logs in")
        let status5 = await attempt("admin password 1", from: "203.0.113.9")
        XCTAssertEqual(status5, 429, "the guessing address still waits")
    }

    func testTheDelayStartsAfterExactlyFiveFailuresAndDoubles() async throws {
        for index in 0..<4 { let status6 = await attempt("wrong \(index)", from: "192.0.2.1"); XCTAssertEqual(status6, 401) }
        XCTAssertNil(try database.loginLockedUntil(LoginThrottle.userPrefix("admin") + "192.0.2.1"), "four failures: no wait yet")
        let status7 = await attempt("wrong 4", from: "192.0.2.1")
        XCTAssertEqual(status7, 401)
        let first = try waitSeconds("192.0.2.1")
        XCTAssertEqual(first, 0.3, accuracy: 0.1)
        let status8 = await attempt("admin password 1", from: "192.0.2.1")
        XCTAssertEqual(status8, 429)
        try await Task.sleep(nanoseconds: 350_000_000)
        let status9 = await attempt("wrong 5", from: "192.0.2.1")
        XCTAssertEqual(status9, 401, "after the wait, a guess is checked again")
        XCTAssertEqual(try waitSeconds("192.0.2.1"), 0.6, accuracy: 0.1, "and the next wait is twice as long")
        try await Task.sleep(nanoseconds: 650_000_000)
        let status10 = await attempt("admin password 1", from: "192.0.2.1")
        XCTAssertEqual(status10, 200)
        XCTAssertNil(try database.loginLockedUntil(LoginThrottle.userPrefix("admin") + "192.0.2.1"), "a success ends the pair's run")
    }

    func testUnlockClearsEveryAddressOfThatUserOnly() async throws {
        for ip in ["192.0.2.10", "192.0.2.11"] {
            for index in 0..<5 { _ = await attempt("wrong \(index)", from: ip) }
        }
        _ = try? await auth.login(username: "someone_else", password: "x", ip: "192.0.2.10", userAgent: nil)
        XCTAssertEqual(try database.clearLoginFailures(prefix: LoginThrottle.userPrefix("ADMIN")), 2)
        let status11 = await attempt("admin password 1", from: "192.0.2.10")
        XCTAssertEqual(status11, 200)
        let others = try await database.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM login_failures WHERE key LIKE 'user-ip:someone%'") }
        XCTAssertEqual(others, 1, "another name's row from the same address stays")
    }
}
