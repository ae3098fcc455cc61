/// The rules a user-supplied URL must pass before we call it (the SSRF guard
/// of `http.request` and any other user-chosen destination), without doing
/// any I/O: `OutboundGuard` adds name resolution.
///
/// The checks run three times for one request: on the URL as typed
/// (`check`), on the addresses its host resolved to (`checkResolved`), and
/// on every redirect (`checkRedirect`), because each is a point where an
/// attacker can steer us to an internal address.
public struct OutboundURLPolicy: Sendable {
    /// Permit plain http to any permitted host. Off by default: http lets
    /// anyone on the path read the credentials the request carries.
    public var allowHTTP: Bool
    /// Tests only: permit 127.0.0.0/8 and ::1, and plain http to them, so
    /// tests can call local fakes. Production configuration never sets it.
    public var allowLoopback: Bool
    /// Host names (exact match, lower-case, no trailing dot) whose resolved
    /// addresses may be private: internal services an operator chose to
    /// expose to flows. Trusts those names' DNS, so prefer `allowedNetworks`.
    public let allowedHosts: Set<String>
    /// Networks that may be called although they are private or reserved.
    public var allowedNetworks: [CIDR]
    /// Redirects followed at most (the issue's limit is 3).
    public var maximumRedirects: Int

    public init(allowHTTP: Bool = false, allowLoopback: Bool = false, allowedHosts: [String] = [],
                allowedNetworks: [CIDR] = [], maximumRedirects: Int = 3) {
        self.allowHTTP = allowHTTP
        self.allowLoopback = allowLoopback
        self.allowedHosts = Set(allowedHosts.map(Self.normaliseHost))
        self.allowedNetworks = allowedNetworks
        self.maximumRedirects = maximumRedirects
    }

    /// Checks the URL as typed: syntax, scheme, and — when the host is an IP
    /// literal — the address itself. A host name still has to be resolved
    /// and passed through `checkResolved`.
    public func check(_ text: String) throws(OutboundRefusal) -> OutboundURL {
        try check(OutboundURL.parse(text))
    }

    /// The checks of `check(_:)` on an already parsed URL.
    public func check(_ url: OutboundURL) throws(OutboundRefusal) -> OutboundURL {
        if url.scheme == .http, !allowHTTP {
            // The loopback switch also allows http, but only to loopback:
            // literals are judged here, names again once resolved.
            let mayBeLoopback = url.literalAddress.map(OutboundAddressPolicy.isLoopback) ?? (url.host == "localhost")
            guard allowLoopback, mayBeLoopback else { throw OutboundRefusal(.insecureScheme) }
        }
        if let address = url.literalAddress {
            try checkAddress(address, host: url.host)
        }
        return url
    }

    /// Checks every address `url`'s host resolved to and returns the one to
    /// connect to. One blocked address refuses the whole answer: a name that
    /// resolves to a public and a private address (or whose answer changes
    /// between two look-ups, DNS rebinding) must not get a second chance.
    /// The caller connects to the returned address and to no other.
    public func checkResolved(_ url: OutboundURL, addresses: [IPAddress]) throws(OutboundRefusal) -> IPAddress {
        if let literal = url.literalAddress {
            try checkAddress(literal, host: url.host)
            return literal
        }
        guard let first = addresses.first else { throw OutboundRefusal(.unresolvableHost) }
        for address in addresses {
            try checkAddress(address, host: url.host)
        }
        if url.scheme == .http, !allowHTTP,
           !(allowLoopback && addresses.allSatisfy(OutboundAddressPolicy.isLoopback)) {
            throw OutboundRefusal(.insecureScheme)
        }
        return first
    }

    /// Checks a redirect: `location` (absolute, scheme-relative or relative,
    /// resolved against `previous`) is the `hop`-th redirect of the request,
    /// counting from 1. Refuses more than `maximumRedirects` hops and any
    /// https → http downgrade, then runs `check` on the new URL; the caller
    /// resolves and runs `checkResolved` again before following it.
    public func checkRedirect(from previous: OutboundURL, location: String, hop: Int) throws(OutboundRefusal) -> OutboundURL {
        guard hop >= 1, hop <= maximumRedirects else { throw OutboundRefusal(.tooManyRedirects) }
        let next = try OutboundURL.parse(Self.resolveReference(location, against: previous))
        if previous.scheme == .https, next.scheme == .http { throw OutboundRefusal(.redirectDowngrade) }
        return try check(next)
    }

    /// Whether `address` may be called for `host`.
    public func permits(_ address: IPAddress, host: String) -> Bool {
        (try? checkAddress(address, host: host)) != nil
    }

    private func checkAddress(_ address: IPAddress, host: String) throws(OutboundRefusal) {
        guard let range = OutboundAddressPolicy.blockedRange(for: address) else { return }
        if allowedNetworks.contains(address) || allowedHosts.contains(host) { return }
        if allowLoopback, OutboundAddressPolicy.isLoopback(address) { return }
        throw OutboundRefusal(.blockedAddress, blockedRange: range)
    }

    /// RFC 3986 §5.2 reference resolution, enough for `Location` headers.
    /// Dot segments are removed when the result is parsed.
    static func resolveReference(_ location: String, against base: OutboundURL) throws(OutboundRefusal) -> String {
        let reference = location.trimmingASCIIWhitespace()
        guard !reference.isEmpty else { throw OutboundRefusal(.malformedURL) }
        if hasScheme(reference) { return reference }
        if reference.hasPrefix("//") { return base.scheme.rawValue + ":" + reference }
        if reference.hasPrefix("/") { return base.origin + reference }
        let baseQuery = base.query.map { "?" + $0 } ?? ""
        if reference.hasPrefix("?") { return base.origin + base.path + reference }
        if reference.hasPrefix("#") { return base.origin + base.path + baseQuery }
        let directory = base.path[...(base.path.lastIndex(of: "/") ?? base.path.startIndex)]
        return base.origin + directory + reference
    }

    /// `scheme ":"` at the start: a letter, then letters, digits, `+-.`.
    private static func hasScheme(_ reference: String) -> Bool {
        guard let colon = reference.firstIndex(of: ":") else { return false }
        let scheme = reference[..<colon]
        guard let first = scheme.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return scheme.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "+-.".unicodeScalars.contains(scalar))
        }
    }

    static func normaliseHost(_ host: String) -> String {
        var name = host.trimmingASCIIWhitespace().lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if name.hasPrefix("["), name.hasSuffix("]"), let address = IPAddress(name) { return address.description }
        if let address = IPAddress(name) { return address.description }
        return name
    }
}
