/// A range of addresses that outbound requests may not reach, with a name
/// for log lines and tests.
public struct BlockedAddressRange: Sendable, Hashable, CustomStringConvertible {
    public let cidr: CIDR
    public let name: String
    /// Set when the address was IPv6 with an IPv4 address embedded in it
    /// (NAT64, 6to4): the translation prefix, while `cidr` and `name`
    /// describe the IPv4 range the embedded address fell in.
    public let via: CIDR?

    init(_ cidr: String, _ name: String, via: CIDR? = nil) {
        // The table below is static and tested; a typo is a programming error
        // caught by the tests (every entry is checked), not an input path.
        guard let parsed = CIDR(cidr) else { preconditionFailure("bad CIDR in OutboundAddressPolicy: \(cidr)") }
        self.cidr = parsed
        self.name = name
        self.via = via
    }

    init(_ range: BlockedAddressRange, via: CIDR) {
        self.cidr = range.cidr
        self.name = range.name
        self.via = via
    }

    public var description: String {
        if let via { return "\(name) \(cidr) via \(via)" }
        return "\(name) \(cidr)"
    }
}

/// Which destination addresses the SSRF guard refuses: everything that is not
/// ordinary public unicast (IANA special-purpose registries, RFC 6890).
///
/// This is the pure classification; allowlists and the test-only loopback
/// switch are applied on top of it by `OutboundURLPolicy`.
public enum OutboundAddressPolicy {
    /// IPv4 special-purpose ranges.
    public static let ipv4Blocked: [BlockedAddressRange] = [
        .init("0.0.0.0/8", "this network"),
        .init("10.0.0.0/8", "private"),
        .init("100.64.0.0/10", "carrier-grade NAT"),
        .init("127.0.0.0/8", "loopback"),
        .init("169.254.0.0/16", "link-local (cloud metadata)"),
        .init("172.16.0.0/12", "private"),
        .init("192.0.0.0/24", "IETF protocol assignments"),
        .init("192.0.2.0/24", "documentation (TEST-NET-1)"),
        .init("192.88.99.0/24", "6to4 relay anycast"),
        .init("192.168.0.0/16", "private"),
        .init("198.18.0.0/15", "benchmarking"),
        .init("198.51.100.0/24", "documentation (TEST-NET-2)"),
        .init("203.0.113.0/24", "documentation (TEST-NET-3)"),
        .init("224.0.0.0/4", "multicast"),
        .init("240.0.0.0/4", "reserved (incl. broadcast)"),
    ]

    /// IPv6 ranges refused outright. Order matters: the narrow ones first,
    /// so `::1` is named loopback and not IPv4-compatible.
    public static let ipv6Blocked: [BlockedAddressRange] = [
        .init("::/128", "unspecified"),
        .init("::1/128", "loopback"),
        .init("::/96", "IPv4-compatible (deprecated)"),
        // RFC 8215 local-use NAT64: the operator picks the prefix length, so
        // where the IPv4 address sits is unknown; it is never global anyway.
        .init("64:ff9b:1::/48", "local-use NAT64"),
        .init("100::/64", "discard-only"),
        .init("2001::/32", "Teredo"),
        .init("2001:db8::/32", "documentation"),
        .init("3fff::/20", "documentation"),
        .init("fc00::/7", "unique local"),
        .init("fe80::/10", "link-local"),
        .init("fec0::/10", "site-local (deprecated)"),
        .init("ff00::/8", "multicast"),
    ]

    /// Everything outside 2000::/3 (global unicast) that the list above does
    /// not name: unallocated or special (e.g. `::ffff:0:a.b.c.d`, SIIT), with
    /// no public destination in it.
    public static let ipv6GlobalUnicast = BlockedAddressRange("2000::/3", "global unicast").cidr

    /// The IPv6 forms that embed an IPv4 address, judged by that address.
    /// (IPv4-mapped `::ffff:0:0/96` is not among them: `IPAddress` turns
    /// every mapped address into the IPv4 address itself when it is made,
    /// so it reaches the IPv4 table directly; a `CIDR` cannot even hold it.)
    public static let nat64 = BlockedAddressRange("64:ff9b::/96", "NAT64").cidr
    public static let sixToFour = BlockedAddressRange("2002::/16", "6to4").cidr

    /// nil when `address` is public and may be called; otherwise the range it
    /// lies in. IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4)
    /// are judged by that IPv4 address: `64:ff9b::a9fe:a9fe` reaches
    /// 169.254.169.254 through a NAT64 gateway.
    public static func blockedRange(for address: IPAddress) -> BlockedAddressRange? {
        if address.isIPv4 {
            return ipv4Blocked.first { $0.cidr.contains(address) }
        }
        let bytes = address.bytes
        if let range = ipv6Blocked.first(where: { $0.cidr.contains(address) }) {
            return range
        }
        if nat64.contains(address), let embedded = IPAddress(bytes: Array(bytes[12..<16])) {
            return blockedRange(for: embedded).map { BlockedAddressRange($0, via: nat64) }
        }
        if sixToFour.contains(address), let embedded = IPAddress(bytes: Array(bytes[2..<6])) {
            return blockedRange(for: embedded).map { BlockedAddressRange($0, via: sixToFour) }
        }
        if !ipv6GlobalUnicast.contains(address) {
            return BlockedAddressRange("::/0", "not global unicast (outside 2000::/3)")
        }
        return nil
    }

    /// Whether `address` is loopback (127.0.0.0/8 — also written IPv4-mapped,
    /// which `IPAddress` normalises — or ::1): what the test-only
    /// `allowLoopback` switch lets through. Loopback behind NAT64 or 6to4 is
    /// not this machine, so it does not count.
    public static func isLoopback(_ address: IPAddress) -> Bool {
        CIDR.loopback.contains(address)
    }
}
