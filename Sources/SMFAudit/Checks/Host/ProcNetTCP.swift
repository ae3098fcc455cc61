/// Listening TCP sockets from /proc/net/tcp and /proc/net/tcp6 (Linux):
/// read-only, no root, no `ss`/`netstat` needed.
struct ListeningSocket: Sendable, Equatable, Hashable {
    let address: String
    let port: Int
    let ipv6: Bool

    /// 127.0.0.0/8, ::1 and IPv4-mapped loopback: reachable from this machine only.
    var isLoopback: Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }

    var label: String { ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)" }
}

enum ProcNetTCP {
    /// The kernel's state code for LISTEN.
    static let listenState = "0A"

    /// Sockets in LISTEN state in one file's text; `ipv6` for tcp6.
    static func listening(_ text: String, ipv6: Bool) -> [ListeningSocket] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, fields[3] == Substring(listenState) else { return nil }
            let local = fields[1].split(separator: ":")
            guard local.count == 2, let port = Int(local[1], radix: 16),
                  let address = ipv6 ? ipv6Address(String(local[0])) : ipv4Address(String(local[0])) else { return nil }
            return ListeningSocket(address: address, port: port, ipv6: ipv6)
        }
    }

    /// "0100007F" → "127.0.0.1": the kernel prints the 32-bit word in host (little-endian) order.
    static func ipv4Address(_ hex: String) -> String? {
        guard hex.count == 8, let word = UInt32(hex, radix: 16) else { return nil }
        return (0..<4).map { String((word >> (8 * UInt32($0))) & 0xFF) }.joined(separator: ".")
    }

    /// 32 hex digits, four little-endian 32-bit words → a compressed IPv6 text
    /// (IPv4-mapped addresses as ::ffff:a.b.c.d).
    static func ipv6Address(_ hex: String) -> String? {
        guard hex.count == 32 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        for _ in 0..<4 {
            let next = hex.index(index, offsetBy: 8)
            guard let word = UInt32(hex[index..<next], radix: 16) else { return nil }
            bytes += (0..<4).map { UInt8((word >> (8 * UInt32($0))) & 0xFF) }
            index = next
        }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return "::ffff:" + bytes[12...].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 16, by: 2).map { Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]) }
        return compress(groups)
    }

    /// RFC 5952: the longest run (≥ 2) of zero groups becomes "::".
    private static func compress(_ groups: [Int]) -> String {
        var best = (start: -1, length: 0)
        var run = (start: -1, length: 0)
        for (i, group) in groups.enumerated() {
            if group == 0 {
                run = run.start < 0 ? (i, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let text = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return text.joined(separator: ":") }
        let head = text[..<best.start].joined(separator: ":")
        let tail = text[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }
}
