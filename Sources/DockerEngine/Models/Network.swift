import Foundation

/// `GET /networks` and `GET /networks/{id}`: what the networks pages show.
public struct NetworkInspect: Decodable, Sendable {
    public let id: String
    public let name: String
    public let created: String?
    public let driver: String?
    public let scope: String?
    public let enableIPv6: Bool?
    public let ipam: IPAM?
    public let `internal`: Bool?
    public let attachable: Bool?
    public let ingress: Bool?
    public let configOnly: Bool?
    /// Running endpoints only (the list leaves it empty on newer engines).
    public let containers: [String: Endpoint]?
    public let options: [String: String]?
    public let labels: [String: String]?

    public struct IPAM: Decodable, Sendable {
        public let driver: String?
        public let config: [Pool]?
        public let options: [String: String]?
        enum CodingKeys: String, CodingKey { case driver = "Driver", config = "Config", options = "Options" }
    }

    /// One address pool: subnet, gateway, the range containers get addresses from, reserved addresses.
    public struct Pool: Decodable, Sendable {
        public let subnet: String?
        public let gateway: String?
        public let ipRange: String?
        public let auxiliaryAddresses: [String: String]?
        enum CodingKeys: String, CodingKey { case subnet = "Subnet", gateway = "Gateway", ipRange = "IPRange", auxiliaryAddresses = "AuxiliaryAddresses" }
    }

    public struct Endpoint: Decodable, Sendable {
        public let name: String?
        public let endpointID: String?
        public let macAddress: String?
        public let ipv4Address: String?
        public let ipv6Address: String?
        enum CodingKeys: String, CodingKey {
            case name = "Name", endpointID = "EndpointID", macAddress = "MacAddress", ipv4Address = "IPv4Address", ipv6Address = "IPv6Address"
        }
    }

    enum CodingKeys: String, CodingKey {
        case id = "Id", name = "Name", created = "Created", driver = "Driver", scope = "Scope", enableIPv6 = "EnableIPv6", ipam = "IPAM"
        case `internal` = "Internal", attachable = "Attachable", ingress = "Ingress", configOnly = "ConfigOnly", containers = "Containers"
        case options = "Options", labels = "Labels"
    }
}

/// One container's place on a network, from `GET /containers/json?all=1` (stopped containers included).
public struct NetworkAttachment: Sendable {
    public let containerID: String
    public let containerName: String
    public let state: String
    public let networkID: String
    public let networkName: String
    public let ipv4Address: String?
    public let ipv6Address: String?
    public let aliases: [String]
}

/// `POST /networks/prune`.
public struct NetworkPruneReport: Decodable, Sendable {
    public let networksDeleted: [String]?
    enum CodingKeys: String, CodingKey { case networksDeleted = "NetworksDeleted" }
}
