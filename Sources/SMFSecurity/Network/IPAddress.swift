#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as raw network-order bytes.
///
/// Parsing is done by the C library's `inet_pton`, not by hand: address syntax
/// (IPv6 compression, embedded IPv4) is exactly where home-made parsers go wrong.
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are normalised to IPv4 so that
/// one CIDR rule covers both spellings of the same peer.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    /// From raw network-order bytes (4 or 16), as a socket address holds
    /// them: no text round trip. IPv4-mapped IPv6 (`::ffff:0:0/96`, an IPv4
    /// peer on a dual-stack socket) becomes IPv4.
    public init?(bytes raw: [UInt8]) {
        switch raw.count {
        case 4:
            bytes = raw
        case 16:
            if raw[0..<10].allSatisfy({ $0 == 0 }), raw[10] == 0xff, raw[11] == 0xff {
                bytes = Array(raw[12..<16])
            } else {
                bytes = raw
            }
        default:
            return nil
        }
    }

    public init?(_ text: some StringProtocol) {
        var string = String(text).trimmingASCIIWhitespace()
        // Accept "[::1]" as written in URLs and forwarded headers.
        if string.hasPrefix("["), string.hasSuffix("]") {
            string = String(string.dropFirst().dropLast())
        }
        // A zone id ("fe80::1%eth0") does not change which network a peer is in.
        if let percent = string.firstIndex(of: "%") {
            string = String(string[..<percent])
        }
        guard !string.isEmpty, string.utf8.count <= 64 else { return nil }
        if string.contains(":") {
            var storage = in6_addr()
            guard inet_pton(AF_INET6, string, &storage) == 1 else { return nil }
            self.init(bytes: withUnsafeBytes(of: &storage) { Array($0) })
        } else {
            var storage = in_addr()
            guard inet_pton(AF_INET, string, &storage) == 1 else { return nil }
            self.init(bytes: withUnsafeBytes(of: &storage) { Array($0) })
        }
    }

    public var description: String {
        if isIPv4 {
            // By hand: this runs for every request's log line.
            var text = ""
            text.reserveCapacity(15)
            for (index, byte) in bytes.enumerated() {
                if index > 0 { text.append(".") }
                if byte >= 100 { text.unicodeScalars.append(Unicode.Scalar(48 + byte / 100)) }
                if byte >= 10 { text.unicodeScalars.append(Unicode.Scalar(48 + (byte / 10) % 10)) }
                text.unicodeScalars.append(Unicode.Scalar(48 + byte % 10))
            }
            return text
        }
        var storage = in6_addr()
        withUnsafeMutableBytes(of: &storage) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count)) != nil else {
            return bytes.map { String($0, radix: 16) }.joined(separator: ":")
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension String {
    /// Trims spaces, tabs, CR and LF — the only whitespace that appears around
    /// values in env files and comma-separated header lists. Works on
    /// Unicode scalars: "\r\n" is one `Character`, equal to neither "\r"
    /// nor "\n", so a file with Windows line endings would keep its CRLF.
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !isSpace($0) }),
              let end = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[start...end])
    }
}
