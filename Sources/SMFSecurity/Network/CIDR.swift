/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or a single address).
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    /// Parses `address/prefix`; a bare address means a single host (/32 or /128).
    /// Host bits set below the prefix are rejected: `10.0.0.1/8` is almost always
    /// a typo for something narrower, and a guardrail must not guess.
    public init?(_ text: some StringProtocol) {
        let string = String(text).trimmingASCIIWhitespace()
        let parts = string.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let address = IPAddress(parts[0]) else { return nil }
        let maximum = address.bytes.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...maximum).contains(parsed),
                  parts[1].allSatisfy(\.isASCII) else { return nil }
            length = parsed
        }
        guard Self.hostBitsAreZero(address.bytes, prefixLength: length) else { return nil }
        self.network = address
        self.prefixLength = length
    }

    /// Whether `address` lies inside this network. IPv4 never matches an IPv6
    /// network and vice versa (mapped addresses were normalised when parsed).
    public func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        var remaining = prefixLength
        for (lhs, rhs) in zip(address.bytes, network.bytes) {
            if remaining <= 0 { return true }
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xff : ~(UInt8(0xff) >> UInt8(bits))
            if lhs & mask != rhs & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// `0.0.0.0/0` or `::/0`: every address on the internet.
    public var matchesEverything: Bool { prefixLength == 0 }

    public var description: String { "\(network)/\(prefixLength)" }

    /// Loopback only: the default for administrative endpoints.
    public static let loopback: [CIDR] = [CIDR("127.0.0.0/8"), CIDR("::1/128")].compactMap { $0 }

    private static func hostBitsAreZero(_ bytes: [UInt8], prefixLength: Int) -> Bool {
        var remaining = prefixLength
        for byte in bytes {
            let bits = max(0, min(8, remaining))
            let hostMask: UInt8 = bits == 8 ? 0 : (UInt8(0xff) >> UInt8(bits))
            if byte & hostMask != 0 { return false }
            remaining -= 8
        }
        return true
    }
}

extension Array where Element == CIDR {
    /// Whether any network of the list contains `address`.
    public func contains(_ address: IPAddress) -> Bool {
        contains { $0.contains(address) }
    }
}
