import Foundation

/// A user-supplied http(s) URL, parsed strictly and put in one canonical form.
///
/// We parse by hand instead of trusting `URL`/`URLComponents`: SSRF bypasses
/// live in the places where two parsers disagree (`\` as `/`, `@` inside the
/// authority, `127.1`, `0x7f.1`, percent-encoded hosts). Anything ambiguous
/// is refused, and callers send the request to `string` (our rendering),
/// never to the text the user typed, so the client library cannot read the
/// URL differently from us.
public struct OutboundURL: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case http, https

        public var defaultPort: Int { self == .https ? 443 : 80 }
    }

    public let scheme: Scheme
    /// Lower-case, without a trailing dot; an IP literal in its canonical
    /// text form (IPv6 without brackets).
    public let host: String
    public let port: Int
    /// Starts with `/`; dot segments removed; non-ASCII percent-encoded.
    public let path: String
    /// Without the `?`; nil when the URL had none. The fragment is dropped:
    /// it is never sent.
    public let query: String?
    /// The host as an address when it was an IP literal.
    public let literalAddress: IPAddress?

    public static let maximumLength = 8192

    /// The canonical URL to send the request to.
    public var string: String {
        "\(scheme.rawValue)://\(authority)\(path)\(query.map { "?" + $0 } ?? "")"
    }

    /// `host[:port]` as the `Host` header carries it (port only when not the
    /// scheme's default).
    public var authority: String {
        let hostText = literalAddress.map { $0.isIPv4 ? host : "[\(host)]" } ?? host
        return port == scheme.defaultPort ? hostText : "\(hostText):\(port)"
    }

    /// The scheme, host and port, for resolving relative redirects.
    var origin: String { "\(scheme.rawValue)://\(authority)" }

    /// `string` as a Foundation `URL`.
    public var url: URL? { URL(string: string) }

    /// Scheme, host and port only: paths and queries carry credentials
    /// (Telegram puts the bot token in the path, many APIs take `?api_key=`),
    /// so a log line that interpolates the URL must not print them.
    public var description: String { path == "/" && query == nil ? origin : origin + "/…" }

    /// Parses `text`. Refuses: schemes other than http/https, missing `//`,
    /// whitespace or control characters, `\`, user info, empty or
    /// percent-encoded or non-ASCII hosts, unbracketed IPv6, zone ids, ports
    /// outside 1–65535, and numeric hosts other than a plain dotted quad.
    public static func parse(_ text: String) throws(OutboundRefusal) -> OutboundURL {
        let trimmed = text.trimmingASCIIWhitespace()
        let bytes = Array(trimmed.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumLength else { throw OutboundRefusal(.malformedURL) }
        guard !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7f || $0 == UInt8(ascii: "\\") }) else {
            throw OutboundRefusal(.malformedURL)
        }

        // Scheme: letters, then "://".
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0,
              bytes[..<colon].allSatisfy({ isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "+")
                  || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }), isLetter(bytes[0]) else {
            throw OutboundRefusal(.malformedURL)
        }
        guard let scheme = Scheme(rawValue: String(decoding: bytes[..<colon], as: UTF8.self).lowercased()) else {
            throw OutboundRefusal(.unsupportedScheme)
        }
        let afterScheme = colon + 1
        guard bytes.count >= afterScheme + 2, bytes[afterScheme] == UInt8(ascii: "/"),
              bytes[afterScheme + 1] == UInt8(ascii: "/") else {
            throw OutboundRefusal(.malformedURL)
        }

        // Authority: up to the first "/", "?" or "#".
        let authorityStart = afterScheme + 2
        let authorityEnd = bytes[authorityStart...].firstIndex {
            $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
        } ?? bytes.endIndex
        let authority = Array(bytes[authorityStart..<authorityEnd])
        guard !authority.contains(UInt8(ascii: "@")) else { throw OutboundRefusal(.userInfoNotAllowed) }
        guard !authority.isEmpty else { throw OutboundRefusal(.missingHost) }

        let (host, literal, portText) = try splitHostAndPort(authority)
        let port: Int
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(isDigit),
                  let value = Int(String(decoding: portText, as: UTF8.self)), (1...65535).contains(value) else {
                throw OutboundRefusal(.invalidPort)
            }
            port = value
        } else {
            port = scheme.defaultPort
        }

        // Path and query; the fragment is dropped.
        var rest = bytes[authorityEnd...]
        if let hash = rest.firstIndex(of: UInt8(ascii: "#")) { rest = rest[..<hash] }
        var pathBytes = rest
        var query: String?
        if let question = rest.firstIndex(of: UInt8(ascii: "?")) {
            pathBytes = rest[..<question]
            query = encode(rest[(question + 1)...])
        }
        let path = removeDotSegments(pathBytes.isEmpty ? "/" : encode(pathBytes))

        return OutboundURL(scheme: scheme, host: host, port: port, path: path, query: query, literalAddress: literal)
    }

    /// Splits `[v6]:port` or `name:port`, normalising and validating the host.
    private static func splitHostAndPort(_ authority: [UInt8]) throws(OutboundRefusal)
        -> (host: String, literal: IPAddress?, port: ArraySlice<UInt8>?) {
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { throw OutboundRefusal(.invalidHost) }
            let inside = authority[1..<close]
            // No zone ids ("%25eth0"): they only make sense on this machine.
            guard inside.contains(UInt8(ascii: ":")), !inside.contains(UInt8(ascii: "%")),
                  let address = IPAddress(String(decoding: inside, as: UTF8.self)) else {
                throw OutboundRefusal(.invalidHost)
            }
            let after = authority[(close + 1)...]
            var port: ArraySlice<UInt8>?
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else { throw OutboundRefusal(.invalidHost) }
                port = after.dropFirst()
            }
            return (address.description, address, port)
        }

        let colons = authority.indices.filter { authority[$0] == UInt8(ascii: ":") }
        guard colons.count <= 1 else { throw OutboundRefusal(.invalidHost) }  // unbracketed IPv6
        let hostBytes = colons.first.map { authority[..<$0] } ?? authority[...]
        let port = colons.first.map { authority[($0 + 1)...] }

        var name = hostBytes.map { isUpper($0) ? $0 + 32 : $0 }
        if name.last == UInt8(ascii: ".") { name.removeLast() }
        guard !name.isEmpty else { throw OutboundRefusal(.missingHost) }
        guard name.count <= 253, name.allSatisfy({ isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "-")
                  || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }) else {
            throw OutboundRefusal(.invalidHost)
        }
        let labels = name.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.allSatisfy({ !$0.isEmpty && $0.count <= 63 }) else { throw OutboundRefusal(.invalidHost) }

        let text = String(decoding: name, as: UTF8.self)
        if isDottedQuad(labels) {
            guard let address = IPAddress(text) else { throw OutboundRefusal(.invalidHost) }
            return (address.description, address, port)
        }
        // Resolvers (inet_aton, WHATWG URL) read "127.1", "2130706433",
        // "0x7f.1" and "017700000001" as 127.0.0.1. No real name ends in a
        // numeric label, so any such host is refused rather than guessed at.
        if let last = labels.last, isNumericLabel(last) { throw OutboundRefusal(.numericHost) }
        return (text, nil, port)
    }

    /// Exactly four decimal labels 0–255 with no leading zeros (which some
    /// parsers read as octal).
    static func isDottedQuad(_ labels: [ArraySlice<UInt8>]) -> Bool {
        labels.count == 4 && labels.allSatisfy { label in
            guard (1...3).contains(label.count), label.allSatisfy(isDigit),
                  label.count == 1 || label.first != UInt8(ascii: "0"),
                  let value = Int(String(decoding: label, as: UTF8.self)) else { return false }
            return value <= 255
        }
    }

    /// Decimal digits, or `0x` followed by hex digits (or nothing).
    static func isNumericLabel(_ label: ArraySlice<UInt8>) -> Bool {
        if label.allSatisfy(isDigit) { return true }
        guard label.count >= 2, label.first == UInt8(ascii: "0"),
              label[label.startIndex + 1] == UInt8(ascii: "x") else { return false }
        return label.dropFirst(2).allSatisfy { isDigit($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    /// Percent-encodes what is not allowed unencoded in a path or query
    /// (non-ASCII, quotes, braces…) and a `%` not followed by two hex digits.
    static func encode(_ bytes: ArraySlice<UInt8>) -> String {
        let allowed = Set("-._~!$&'()*+,;=:@/?".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                let escaped = index + 2 < bytes.endIndex && isHex(bytes[index + 1]) && isHex(bytes[index + 2])
                out.append(contentsOf: escaped ? [byte] : Array("%25".utf8))
            } else if isLetter(byte) || isDigit(byte) || allowed.contains(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(contentsOf: hexByte(byte).utf8)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 3986 §5.2.4 on a path that starts with `/`.
    static func removeDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            switch segment {
            case ".":
                if isLast { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if isLast { output.append("") }
            default:
                output.append(segment)
            }
        }
        return "/" + output.joined(separator: "/")
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || isUpper(byte)
    }

    private static func isUpper(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
    }
}
