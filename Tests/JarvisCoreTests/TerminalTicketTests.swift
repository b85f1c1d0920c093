import Foundation
import JarvisCore
import JarvisStore
import XCTest

/// Finding 12: a terminal ticket belongs to the session that asked for it, and
/// the WebSocket's `Origin` must be this server's.
final class TerminalTicketTests: XCTestCase {
    func testATicketRedeemsOnlyForItsSessionAndARefusalDoesNotUseItUp() throws {
        let database = try AppDatabase(path: NSTemporaryDirectory() + "jarvis-term-\(UUID().uuidString)/jarvis.db")
        let user = try database.createUser(username: "olga", passwordHash: "x", role: "operator")
        let ticket = TerminalTicket(userID: user.id!, sessionID: "session-a", host: "jarvis.example", containerID: "c",
                                    containerName: "web", execID: "e", tty: true)
        try database.insertTerminalToken(tokenHash: "h", ticket: ticket, expiresAt: Timestamp.string(Date() + 60))
        XCTAssertNil(try database.redeemTerminalToken(tokenHash: "h", userID: user.id!, sessionID: "session-b"), "same user, other session")
        XCTAssertNil(try database.redeemTerminalToken(tokenHash: "h", userID: user.id!, sessionID: "session-a") { _ in false },
                     "refused by the Origin check")
        let redeemed = try database.redeemTerminalToken(tokenHash: "h", userID: user.id!, sessionID: "session-a")
        XCTAssertEqual(redeemed?.host, "jarvis.example")
        XCTAssertNil(try database.redeemTerminalToken(tokenHash: "h", userID: user.id!, sessionID: "session-a"), "once only")
    }

    func testTheOriginMustNameThisServer() {
        let hosts = ["jarvis.example:8443"]
        XCTAssertTrue(TerminalOrigin.allows(origin: "https://jarvis.example:8443", hosts: hosts))
        XCTAssertTrue(TerminalOrigin.allows(origin: "https://JARVIS.example:8443", hosts: hosts))
        XCTAssertFalse(TerminalOrigin.allows(origin: "https://evil.example:8443", hosts: hosts))
        XCTAssertFalse(TerminalOrigin.allows(origin: "https://jarvis.example.evil.example:8443", hosts: hosts))
        XCTAssertFalse(TerminalOrigin.allows(origin: "https://jarvis.example", hosts: hosts), "another port is another origin")
        XCTAssertFalse(TerminalOrigin.allows(origin: "null", hosts: hosts))
        XCTAssertTrue(TerminalOrigin.allows(origin: "https://jarvis.example", hosts: ["jarvis.example"]))
        XCTAssertTrue(TerminalOrigin.allows(origin: "https://jarvis.example", hosts: ["jarvis.example:443"]))
        XCTAssertTrue(TerminalOrigin.allows(origin: "https://[::1]:8443", hosts: ["[::1]:8443"]))
        XCTAssertFalse(TerminalOrigin.allows(origin: "https://[::1]:8443", hosts: ["[::2]:8443"]))
        // nginx's `$host` (what Debian's fastcgi_params passes) has no port: the host name decides.
        XCTAssertTrue(TerminalOrigin.allows(origin: "https://jarvis.example:8443", hosts: ["jarvis.example"]))
        XCTAssertTrue(TerminalOrigin.allows(origin: "https://[::1]:8443", hosts: ["[::1]"]))
        XCTAssertFalse(TerminalOrigin.allows(origin: "https://evil.example:8443", hosts: ["jarvis.example"]))
        XCTAssertFalse(TerminalOrigin.allows(origin: "https://jarvis.example", hosts: ["jarvis_ws"]), "nginx's upstream name matches nothing")
        XCTAssertTrue(TerminalOrigin.allows(origin: nil, hosts: hosts), "no Origin: not a browser")
    }
}
