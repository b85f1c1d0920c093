import Foundation

/// An IPv4 or IPv6 address as 128 bits (IPv4 in the low 32), parsed without the C library
/// so that what is accepted is exactly what is written here and tested.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Sendable { case v4, v6 }
    public let family: Family
    /// High and low 64 bits; an IPv4 address lives in the low 32 bits of `low`.
    public let high: UInt64
    public let low: UInt64

    public var bitWidth: Int { family == .v4 ? 32 : 128 }

    init(family: Family, high: UInt64, low: UInt64) {
        self.family = family
        self.high = high
        self.low = low
    }

    /// Parses dotted-quad IPv4 (four decimal parts 0-255, no leading zeros) or IPv6 (RFC 4291 text, `::` once,
    /// an embedded IPv4 tail allowed); nil for anything else.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let (high, low) = Self.parseV6(text) else { return nil }
            self.init(family: .v6, high: high, low: low)
        } else {
            guard let value = Self.parseV4(text) else { return nil }
            self.init(family: .v4, high: 0, low: UInt64(value))
        }
    }

    static func parseV4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  !(part.count > 1 && part.hasPrefix("0")), let byte = UInt32(part), byte <= 255 else { return nil }
            value = value << 8 | byte
        }
        return value
    }

    static func parseV6(_ text: String) -> (UInt64, UInt64)? {
        guard text.count <= 45, !text.contains(":::") else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String, allowV4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, allowV4Tail, piece.contains(".") {
                    guard let v4 = parseV4(String(piece)) else { return nil }
                    result += [UInt16(v4 >> 16), UInt16(v4 & 0xffff)]
                    continue
                }
                guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit), let group = UInt16(piece, radix: 16) else { return nil }
                result.append(group)
            }
            return result
        }
        let all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0], allowV4Tail: false), let tail = groups(halves[1], allowV4Tail: true),
                  head.count + tail.count <= 7 else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let every = groups(halves[0], allowV4Tail: true), every.count == 8 else { return nil }
            all = every
        }
        let high = all[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = all[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }

    public var description: String {
        if family == .v4 {
            return (0..<4).map { String((low >> (24 - 8 * $0)) & 0xff) }.joined(separator: ".")
        }
        let groups = (0..<8).map { index -> UInt16 in
            let word = index < 4 ? high : low
            return UInt16((word >> (48 - 16 * (index % 4))) & 0xffff)
        }
        // The longest run of two or more zero groups becomes `::` (RFC 5952).
        var best = (start: -1, length: 0), run = (start: -1, length: 0)
        for (index, group) in groups.enumerated() {
            if group == 0 {
                run = run.start < 0 ? (index, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        let head = hex[0..<best.start].joined(separator: ":"), tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }

    /// The address with every bit after the first `bits` cleared.
    func masked(_ bits: Int) -> IPAddress {
        let (maskHigh, maskLow) = Self.mask(bits, family: family)
        return IPAddress(family: family, high: high & maskHigh, low: low & maskLow)
    }

    static func mask(_ bits: Int, family: Family) -> (UInt64, UInt64) {
        if family == .v4 {
            let v4: UInt64 = bits == 0 ? 0 : (0xffff_ffff << UInt64(32 - bits)) & 0xffff_ffff
            return (0, v4)
        }
        let high: UInt64 = bits >= 64 ? .max : (bits == 0 ? 0 : .max << UInt64(64 - bits))
        let low: UInt64 = bits <= 64 ? 0 : (bits == 128 ? .max : .max << UInt64(128 - bits))
        return (high, low)
    }
}

/// A subnet in CIDR notation (`10.1.0.0/24`, `fd00:1::/64`).
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    /// The address as written (host bits may be set: `10.1.0.5/24`).
    public let address: IPAddress
    public let prefix: Int

    public var family: IPAddress.Family { address.family }
    /// The first address of the subnet.
    public var network: IPAddress { address.masked(prefix) }
    public var description: String { "\(network)/\(prefix)" }
    /// True when the text had host bits set (`10.1.0.5/24`): the engine refuses those as subnets.
    public var hasHostBits: Bool { network != address }

    /// Parses `address/prefix` with a prefix within the family's width; nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])),
              !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
              let prefix = Int(parts[1]), prefix <= address.bitWidth else { return nil }
        self.address = address
        self.prefix = prefix
    }

    /// Whether `other` lies inside this subnet (same family only).
    public func contains(_ other: IPAddress) -> Bool {
        other.family == family && other.masked(prefix) == network
    }

    /// Whether the whole of `other` lies inside this subnet.
    public func contains(_ other: CIDR) -> Bool {
        other.family == family && other.prefix >= prefix && contains(other.address)
    }

    /// Whether the two subnets share any address: with CIDR blocks, one then contains the other.
    public func overlaps(_ other: CIDR) -> Bool {
        other.family == family && (contains(other.network) || other.contains(network))
    }
}
