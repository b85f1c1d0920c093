import DockerEngine
@testable import JarvisCore
import XCTest

final class NetworkSpecTests: XCTestCase {
    typealias Pool = NetworkCreateRequest.PoolRequest

    func request(_ name: String = "web", driver: String? = nil, pools: [Pool] = [], parent: String? = nil, mode: String? = nil,
                 ipv6: Bool? = nil) -> NetworkCreateRequest {
        NetworkCreateRequest(name: name, driver: driver, parent: parent, mode: mode, internal: nil, attachable: nil, enableIpv6: ipv6,
                             ipam: .init(config: pools), labels: nil, options: nil)
    }

    func refusal(_ body: @autoclosure () throws -> Any) -> JarvisError? {
        do { _ = try body(); return nil } catch { return error as? JarvisError }
    }

    func testAValidDualStackBodyForTheEngine() throws {
        let body = try NetworkSpec.createBody(request(pools: [
            Pool(subnet: "10.1.0.0/24", gateway: "10.1.0.1", ipRange: "10.1.0.128/25", auxAddresses: ["router": "10.1.0.2"]),
            Pool(subnet: "fd00:1::/64", gateway: "fd00:1::1", ipRange: nil, auxAddresses: nil),
        ]), existing: [])
        XCTAssertEqual(body["Driver"] as? String, "bridge")
        XCTAssertEqual(body["EnableIPv6"] as? Bool, true, "an IPv6 pool turns IPv6 on")
        let config = ((body["IPAM"] as? [String: Any])?["Config"] as? [[String: Any]]) ?? []
        XCTAssertEqual(config.count, 2)
        XCTAssertEqual(config[0]["IPRange"] as? String, "10.1.0.128/25")
        XCTAssertEqual(config[0]["AuxiliaryAddresses"] as? [String: String], ["router": "10.1.0.2"])
        XCTAssertEqual(config[1]["Gateway"] as? String, "fd00:1::1")
    }

    func testEveryRefusalNamesItsField() {
        let cases: [(NetworkCreateRequest, String, String)] = [
            (request(pools: [Pool(subnet: "10.1.0/24")]), "ipam.config[0].subnet", #"ipam.config[0].subnet: invalid CIDR "10.1.0/24""#),
            (request(pools: [Pool(subnet: "10.1.0.5/24")]), "ipam.config[0].subnet", "host bits"),
            (request(pools: [Pool(subnet: "10.1.0.0/24", gateway: "10.2.0.1")]), "ipam.config[0].gateway", "outside the subnet 10.1.0.0/24"),
            (request(pools: [Pool(subnet: "10.1.0.0/24", gateway: "fd00::1")]), "ipam.config[0].gateway", "invalid IPv4 address"),
            (request(pools: [Pool(subnet: "10.1.0.0/24", ipRange: "10.1.1.0/25")]), "ipam.config[0].ip_range", "outside the subnet"),
            (request(pools: [Pool(subnet: "10.1.0.0/24", auxAddresses: ["r": "10.9.0.1"])]), "ipam.config[0].aux_addresses.r", "outside"),
            (request(pools: [Pool(subnet: "10.1.0.0/24"), Pool(subnet: "10.1.0.0/16")]), "ipam.config[1].subnet", "overlaps ipam.config[0].subnet"),
            (request(pools: [Pool(gateway: "10.1.0.1")]), "ipam.config[0].subnet", "a subnet is needed"),
            (request(pools: [Pool(subnet: "fd00:1::/64", gateway: "fd01::1")]), "ipam.config[0].gateway", "outside"),
            (request(pools: [Pool(subnet: "fd00:1::/64")], ipv6: false), "enable_ipv6", "IPv6 must be enabled"),
            (request("bad name"), "name", "must be"),
            (request("bridge"), "name", "predefined"),
            (request(driver: "weave"), "driver", "must be one of"),
            (request(parent: "eth0"), "parent", "only macvlan and ipvlan"),
            (request(driver: "macvlan", parent: "eth0; rm"), "parent", "not a network interface name"),
            (request(driver: "ipvlan", mode: "bridge"), "mode", "l2, l3, l3s"),
        ]
        for (body, field, text) in cases {
            let error = refusal(try NetworkSpec.createBody(body, existing: []))
            XCTAssertEqual(error?.status, 400, text)
            XCTAssertEqual(error?.field, field, text)
            XCTAssertTrue(error?.message.contains(text) ?? false, "\(error?.message ?? "no error") lacks \(text)")
        }
    }

    func testASubnetOverlappingAnotherNetworkOfTheHostIsRefused() throws {
        let existing = [ExistingSubnet(network: "front", subnet: try XCTUnwrap(CIDR("10.1.0.0/16")))]
        let error = refusal(try NetworkSpec.createBody(request(pools: [Pool(subnet: "10.1.4.0/24")]), existing: existing))
        XCTAssertEqual(error?.code, "subnet_overlap")
        XCTAssertEqual(error?.field, "ipam.config[0].subnet")
        XCTAssertTrue(error?.message.contains(#"network "front" (10.1.0.0/16)"#) ?? false, error?.message ?? "")
        XCTAssertNoThrow(try NetworkSpec.createBody(request(pools: [Pool(subnet: "10.2.0.0/24")]), existing: existing))
    }

    func testMacvlanAndIpvlanCarryParentAndMode() throws {
        let body = try NetworkSpec.createBody(request(driver: "macvlan", parent: "eth0.100", mode: "bridge"), existing: [])
        XCTAssertEqual(body["Options"] as? [String: String], ["parent": "eth0.100", "macvlan_mode": "bridge"])
        let ipvlan = try NetworkSpec.createBody(request(driver: "ipvlan", parent: "eth0", mode: "l3"), existing: [])
        XCTAssertEqual(ipvlan["Options"] as? [String: String], ["parent": "eth0", "ipvlan_mode": "l3"])
    }

    func testConnectAddressesMustFitTheNetwork() throws {
        let subnets = [try XCTUnwrap(CIDR("10.1.0.0/24")), try XCTUnwrap(CIDR("fd00:1::/64"))]
        let endpoint = try NetworkSpec.endpoint(NetworkConnectRequest(container: "c", aliases: ["db", "db.local"], ipv4Address: "10.1.0.9",
                                                                      ipv6Address: "fd00:1::9"), subnets: subnets)
        XCTAssertEqual(endpoint["Aliases"] as? [String], ["db", "db.local"])
        XCTAssertEqual(endpoint["IPAMConfig"] as? [String: String], ["IPv4Address": "10.1.0.9", "IPv6Address": "fd00:1::9"])
        let outside = refusal(try NetworkSpec.endpoint(NetworkConnectRequest(container: "c", ipv4Address: "10.2.0.9"), subnets: subnets))
        XCTAssertEqual(outside?.field, "ipv4_address")
        let noSubnet = refusal(try NetworkSpec.endpoint(NetworkConnectRequest(container: "c", ipv4Address: "10.2.0.9"), subnets: []))
        XCTAssertTrue(noSubnet?.message.contains("configured IPv4 subnet") ?? false)
        let alias = refusal(try NetworkSpec.endpoint(NetworkConnectRequest(container: "c", aliases: ["ok", "no way"]), subnets: subnets))
        XCTAssertEqual(alias?.field, "aliases[1]")
    }
}

/// Connecting to a network is judged by the network's driver, as joining one at create is.
final class NetworkAccessRulesTests: XCTestCase {
    struct Networks: HostReferences {
        func container(_ id: String) async throws -> [String: Any]? { nil }
        func volume(_ name: String) async throws -> [String: Any]? { nil }
        func network(_ name: String) async throws -> [String: Any]? {
            ["lan": ["Name": "lan", "Driver": "macvlan"], "l3": ["Name": "l3", "Driver": "ipvlan"], "front": ["Name": "front", "Driver": "bridge"]][name]
        }
    }

    func testOperatorsConnectOnlyToNetworksThatStayOffTheLAN() async throws {
        let rules = HostAccessRules(actor: EngineActor(userID: nil, username: "op", role: .operator_), references: Networks())
        let lan = try await rules.judge(.connect("lan"))
        XCTAssertEqual(lan, ["network: network lan (driver macvlan)"])
        let l3 = try await rules.judge(.connect("l3"))
        XCTAssertEqual(l3.count, 1)
        let host = try await rules.judge(.connect("host"))
        XCTAssertEqual(host.count, 1)
        let front = try await rules.judge(.connect("front"))
        XCTAssertEqual(front, [])
        XCTAssertNotNil(JudgedRequest(EngineRequest("POST", "/networks/lan/connect", body: Array("{}".utf8))).map { "\($0)" }?.hasPrefix("connect"))
        XCTAssertNil(JudgedRequest(EngineRequest("POST", "/networks/lan/disconnect", body: Array("{}".utf8))))
        let ipvlan = try await rules.judge(.network(["Name": "n", "Driver": "ipvlan", "Options": ["parent": "eth0"]]))
        XCTAssertFalse(ipvlan.isEmpty, "creating an ipvlan network is the admin's")
    }
}
