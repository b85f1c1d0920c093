import Foundation

/// The body of `POST …/networks`.
public struct NetworkCreateRequest: Decodable, Sendable {
    public var name: String
    /// `bridge` (default), `macvlan`, `ipvlan` or `overlay`.
    public var driver: String?
    /// macvlan/ipvlan: the host interface the network sits on (`eth0`, `eth0.100`).
    public var parent: String?
    /// macvlan: `bridge`, `private`, `vepa`, `passthru`; ipvlan: `l2`, `l3`, `l3s`.
    public var mode: String?
    public var `internal`: Bool?
    public var attachable: Bool?
    public var enableIpv6: Bool?
    public var ipam: IPAMRequest?
    public var labels: [String: String]?
    public var options: [String: String]?

    public struct IPAMRequest: Decodable, Sendable {
        public var config: [PoolRequest]?
    }

    /// One pool, IPv4 or IPv6 by its subnet.
    public struct PoolRequest: Decodable, Sendable {
        public var subnet: String?
        public var gateway: String?
        public var ipRange: String?
        /// Addresses the IPAM driver must not hand out, by a name of the user's choice.
        public var auxAddresses: [String: String]?
    }
}

/// The body of `POST …/networks/{id}/connect`.
public struct NetworkConnectRequest: Decodable, Sendable {
    public var container: String
    public var aliases: [String]?
    public var ipv4Address: String?
    public var ipv6Address: String?
}

/// The body of `POST …/networks/{id}/disconnect`.
public struct NetworkDisconnectRequest: Decodable, Sendable {
    public var container: String
    public var force: Bool?
}

/// A subnet already in use on the host, for the overlap check.
public struct ExistingSubnet: Sendable {
    public let network: String
    public let subnet: CIDR
    public init(network: String, subnet: CIDR) {
        self.network = network
        self.subnet = subnet
    }
}

/// Validation of network requests into engine bodies: pure, so every refusal is tested without an engine.
/// Every error names the field (`ipam.config[0].subnet: invalid CIDR "10.1.0/24"`); nothing is sent on failure.
public enum NetworkSpec {
    public static let predefined: Set<String> = ["bridge", "host", "none"]
    public static let drivers = ["bridge", "macvlan", "ipvlan", "overlay"]
    static let modes: [String: [String]] = ["macvlan": ["bridge", "private", "vepa", "passthru"], "ipvlan": ["l2", "l3", "l3s"]]
    static let namePattern = #"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"#
    /// Linux interface names: at most 15 bytes, no `/` or spaces; a VLAN sub-interface keeps its dot.
    static let interfacePattern = #"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,14}$"#
    static let aliasPattern = #"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,252})$"#

    /// The engine body for a valid request; `existing` are the subnets of the host's other networks.
    public static func createBody(_ request: NetworkCreateRequest, existing: [ExistingSubnet]) throws -> [String: Any] {
        guard request.name.range(of: namePattern, options: .regularExpression) != nil else {
            throw JarvisError.invalidField("name", "must be 1-128 letters, digits, _ . - starting with a letter or digit, not \(quoted(request.name))")
        }
        if predefined.contains(request.name) {
            throw JarvisError.invalidField("name", "\(request.name) is a predefined network name")
        }
        let driver = request.driver.flatMap { $0.isEmpty ? nil : $0 } ?? "bridge"
        guard drivers.contains(driver) else {
            throw JarvisError.invalidField("driver", "must be one of \(drivers.joined(separator: ", ")), not \(quoted(driver))")
        }
        var options = request.options ?? [:]
        for key in options.keys.sorted() where key.isEmpty || key.count > 255 {
            throw JarvisError.invalidField("options", "option names must be 1-255 characters")
        }
        if let modes = modes[driver] {
            if let parent = request.parent, !parent.isEmpty {
                guard parent.range(of: interfacePattern, options: .regularExpression) != nil else {
                    throw JarvisError.invalidField("parent", "\(quoted(parent)) is not a network interface name (at most 15 letters, digits, _ . : -)")
                }
                options["parent"] = parent
            }
            if let mode = request.mode, !mode.isEmpty {
                guard modes.contains(mode) else {
                    throw JarvisError.invalidField("mode", "a \(driver) mode is one of \(modes.joined(separator: ", ")), not \(quoted(mode))")
                }
                options["\(driver)_mode"] = mode
            }
        } else {
            if !(request.parent ?? "").isEmpty { throw JarvisError.invalidField("parent", "only macvlan and ipvlan networks have a parent interface") }
            if !(request.mode ?? "").isEmpty { throw JarvisError.invalidField("mode", "only macvlan and ipvlan networks have a mode") }
        }
        let pools = try validatePools(request.ipam?.config ?? [], existing: existing)
        let hasV6 = pools.contains { $0.family == .v6 }
        if hasV6 && request.enableIpv6 == false {
            throw JarvisError.invalidField("enable_ipv6", "an IPv6 subnet is given, so IPv6 must be enabled")
        }
        var body: [String: Any] = [
            "Name": request.name, "Driver": driver, "Internal": request.internal ?? false, "Attachable": request.attachable ?? false,
            "EnableIPv6": request.enableIpv6 ?? hasV6, "Labels": request.labels ?? [:], "Options": options,
        ]
        if !pools.isEmpty { body["IPAM"] = ["Driver": "default", "Config": pools.map(\.engine)] as [String: Any] }
        return body
    }

    struct Pool {
        let family: IPAddress.Family
        let engine: [String: Any]
    }

    static func validatePools(_ pools: [NetworkCreateRequest.PoolRequest], existing: [ExistingSubnet]) throws -> [Pool] {
        var seen: [(field: String, subnet: CIDR)] = []
        var result: [Pool] = []
        for (index, pool) in pools.enumerated() {
            let at = "ipam.config[\(index)]"
            guard let subnetText = pool.subnet, !subnetText.isEmpty else {
                throw JarvisError.invalidField("\(at).subnet", "a subnet is needed for a gateway, IP range or auxiliary addresses")
            }
            guard let subnet = CIDR(subnetText) else { throw JarvisError.invalidField("\(at).subnet", "invalid CIDR \(quoted(subnetText))") }
            if subnet.hasHostBits {
                throw JarvisError.invalidField("\(at).subnet", "\(subnetText) has host bits set; the subnet is \(subnet)")
            }
            let family = subnet.family == .v4 ? "IPv4" : "IPv6"
            if subnet.family == .v4 && subnet.prefix > 30 || subnet.family == .v6 && subnet.prefix > 126 {
                throw JarvisError.invalidField("\(at).subnet", "\(subnet) leaves no room for containers (at most /\(subnet.family == .v4 ? 30 : 126))")
            }
            if let clash = seen.first(where: { $0.subnet.overlaps(subnet) }) {
                throw JarvisError.invalidField("\(at).subnet", "\(subnet) overlaps \(clash.field) (\(clash.subnet))")
            }
            if let clash = existing.first(where: { $0.subnet.overlaps(subnet) }) {
                throw JarvisError(400, "subnet_overlap", "\(at).subnet: \(subnet) overlaps network \(quoted(clash.network)) (\(clash.subnet)) on this host")
                    .field("\(at).subnet")
            }
            var engine: [String: Any] = ["Subnet": subnet.description]
            if let text = pool.gateway, !text.isEmpty {
                guard let gateway = IPAddress(text), gateway.family == subnet.family else {
                    throw JarvisError.invalidField("\(at).gateway", "invalid \(family) address \(quoted(text))")
                }
                guard subnet.contains(gateway) else { throw JarvisError.invalidField("\(at).gateway", "\(text) is outside the subnet \(subnet)") }
                guard gateway != subnet.network else {
                    throw JarvisError.invalidField("\(at).gateway", "\(text) is the subnet's network address")
                }
                engine["Gateway"] = gateway.description
            }
            if let text = pool.ipRange, !text.isEmpty {
                guard let range = CIDR(text), range.family == subnet.family, !range.hasHostBits else {
                    throw JarvisError.invalidField("\(at).ip_range", "invalid \(family) CIDR \(quoted(text))")
                }
                guard subnet.contains(range) else { throw JarvisError.invalidField("\(at).ip_range", "\(text) is outside the subnet \(subnet)") }
                engine["IPRange"] = range.description
            }
            var aux: [String: String] = [:]
            for name in (pool.auxAddresses ?? [:]).keys.sorted() {
                let text = pool.auxAddresses![name]!
                let field = "\(at).aux_addresses.\(name)"
                guard name.range(of: #"^[A-Za-z0-9_.-]{1,64}$"#, options: .regularExpression) != nil else {
                    throw JarvisError.invalidField(field, "names are 1-64 letters, digits, _ . -")
                }
                guard let address = IPAddress(text), address.family == subnet.family else {
                    throw JarvisError.invalidField(field, "invalid \(family) address \(quoted(text))")
                }
                guard subnet.contains(address) else { throw JarvisError.invalidField(field, "\(text) is outside the subnet \(subnet)") }
                aux[name] = address.description
            }
            if !aux.isEmpty { engine["AuxiliaryAddresses"] = aux }
            seen.append((at + ".subnet", subnet))
            result.append(Pool(family: subnet.family, engine: engine))
        }
        return result
    }

    /// The endpoint config for a connect; `subnets` are the network's own (a fixed address must lie in one of them).
    public static func endpoint(_ request: NetworkConnectRequest, subnets: [CIDR]) throws -> [String: Any] {
        guard !request.container.isEmpty else { throw JarvisError.invalidField("container", "name the container to connect") }
        var endpoint: [String: Any] = [:]
        var aliases: [String] = []
        for (index, alias) in (request.aliases ?? []).enumerated() where !alias.isEmpty {
            guard alias.range(of: aliasPattern, options: .regularExpression) != nil else {
                throw JarvisError.invalidField("aliases[\(index)]", "\(quoted(alias)) is not a host name (letters, digits, _ . -)")
            }
            aliases.append(alias)
        }
        if !aliases.isEmpty { endpoint["Aliases"] = aliases }
        var ipam: [String: String] = [:]
        for (field, text, family) in [("ipv4_address", request.ipv4Address, IPAddress.Family.v4), ("ipv6_address", request.ipv6Address, .v6)] {
            guard let text, !text.isEmpty else { continue }
            guard let address = IPAddress(text), address.family == family else {
                throw JarvisError.invalidField(field, "invalid \(family == .v4 ? "IPv4" : "IPv6") address \(quoted(text))")
            }
            let own = subnets.filter { $0.family == family }
            guard !own.isEmpty else {
                throw JarvisError.invalidField(field, "a fixed address needs a network with a configured \(family == .v4 ? "IPv4" : "IPv6") subnet")
            }
            guard let subnet = own.first(where: { $0.contains(address) }) else {
                throw JarvisError.invalidField(field, "\(text) is outside the network's subnets (\(own.map(\.description).joined(separator: ", ")))")
            }
            guard address != subnet.network else { throw JarvisError.invalidField(field, "\(text) is the subnet's network address") }
            ipam[family == .v4 ? "IPv4Address" : "IPv6Address"] = address.description
        }
        if !ipam.isEmpty { endpoint["IPAMConfig"] = ipam }
        return endpoint
    }

    static func quoted(_ text: String) -> String { "\"\(text.prefix(80))\"" }
}
