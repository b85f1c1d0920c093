@testable import JarvisCore
import XCTest

final class CIDRTests: XCTestCase {
    func testIPv4ParsingIsStrict() {
        XCTAssertEqual(IPAddress("10.1.0.1")?.description, "10.1.0.1")
        XCTAssertEqual(IPAddress("255.255.255.255")?.description, "255.255.255.255")
        for bad in ["10.1.0", "10.1.0.256", "10.1.0.01", "10..0.1", "1.2.3.4.5", "a.b.c.d", "", " 1.2.3.4", "1.2.3.-4", "١.2.3.4"] {
            XCTAssertNil(IPAddress(bad), bad)
        }
    }

    func testIPv6ParsingAndCanonicalText() {
        XCTAssertEqual(IPAddress("fd00:0:0:0:0:0:0:1")?.description, "fd00::1")
        XCTAssertEqual(IPAddress("::")?.description, "::")
        XCTAssertEqual(IPAddress("::1")?.description, "::1")
        XCTAssertEqual(IPAddress("2001:db8::")?.description, "2001:db8::")
        XCTAssertEqual(IPAddress("::ffff:10.1.2.3")?.description, "::ffff:a01:203")
        XCTAssertEqual(IPAddress("2001:db8:0:1:1:1:1:1")?.description, "2001:db8:0:1:1:1:1:1", "a single zero group stays")
        for bad in ["fd00:::1", "1::2::3", "12345::", "fd00:1:2:3:4:5:6:7:8", "fd00:1:2:3:4:5:6", "g::1", ":1", "1:", "::1.2.3"] {
            XCTAssertNil(IPAddress(bad), bad)
        }
    }

    func testCIDRParsingAndHostBits() {
        XCTAssertEqual(CIDR("10.1.0.0/24")?.description, "10.1.0.0/24")
        XCTAssertEqual(CIDR("10.1.0.7/24")?.hasHostBits, true)
        XCTAssertEqual(CIDR("10.1.0.7/24")?.description, "10.1.0.0/24")
        XCTAssertEqual(CIDR("0.0.0.0/0")?.description, "0.0.0.0/0")
        XCTAssertEqual(CIDR("fd00:1::/64")?.description, "fd00:1::/64")
        XCTAssertEqual(CIDR("fd00:1::1/64")?.hasHostBits, true)
        XCTAssertEqual(CIDR("fd00::/128")?.prefix, 128)
        for bad in ["10.1.0/24", "10.1.0.0/33", "10.1.0.0/", "10.1.0.0", "10.1.0.0/-1", "10.1.0.0/2a", "fd00::/129", "/24", "10.1.0.0/24/1"] {
            XCTAssertNil(CIDR(bad), bad)
        }
    }

    func testContainmentAndOverlap() throws {
        let net = try XCTUnwrap(CIDR("10.1.0.0/16"))
        XCTAssertTrue(net.contains(try XCTUnwrap(IPAddress("10.1.255.254"))))
        XCTAssertFalse(net.contains(try XCTUnwrap(IPAddress("10.2.0.1"))))
        XCTAssertFalse(net.contains(try XCTUnwrap(IPAddress("::a01:1"))), "families never mix")
        XCTAssertTrue(net.contains(try XCTUnwrap(CIDR("10.1.4.0/24"))))
        XCTAssertFalse(try XCTUnwrap(CIDR("10.1.4.0/24")).contains(net))
        XCTAssertTrue(net.overlaps(try XCTUnwrap(CIDR("10.1.4.0/24"))))
        XCTAssertTrue(try XCTUnwrap(CIDR("10.0.0.0/8")).overlaps(net))
        XCTAssertFalse(net.overlaps(try XCTUnwrap(CIDR("10.2.0.0/16"))))
        let v6 = try XCTUnwrap(CIDR("fd00:1::/64"))
        XCTAssertTrue(v6.contains(try XCTUnwrap(IPAddress("fd00:1::ffff:1"))))
        XCTAssertFalse(v6.contains(try XCTUnwrap(IPAddress("fd00:2::1"))))
        XCTAssertTrue(v6.overlaps(try XCTUnwrap(CIDR("fd00::/16"))))
        XCTAssertFalse(v6.overlaps(try XCTUnwrap(CIDR("fd00::/48"))), "fd00:0:0::/48 holds fd00:0::, not fd00:1::")
        XCTAssertFalse(v6.overlaps(try XCTUnwrap(CIDR("fd00:2::/64"))))
        // Prefixes across the 64-bit halves.
        XCTAssertTrue(try XCTUnwrap(CIDR("fd00:1::8000:0/97")).contains(try XCTUnwrap(IPAddress("fd00:1::ffff:1"))))
        XCTAssertFalse(try XCTUnwrap(CIDR("fd00:1::/97")).contains(try XCTUnwrap(IPAddress("fd00:1::ffff:1"))))
        XCTAssertTrue(try XCTUnwrap(CIDR("::/0")).contains(try XCTUnwrap(IPAddress("fd00::1"))))
    }
}
