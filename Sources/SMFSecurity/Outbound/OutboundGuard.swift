/// A user-supplied URL that passed the SSRF guard, with the address it must
/// be sent to.
///
/// Connect to `address` (TLS with SNI and certificate check for `url.host`,
/// `Host: url.authority`) and never resolve `url.host` again: a second
/// look-up is where DNS rebinding swaps in an internal address.
public struct VettedURL: Sendable, Hashable, CustomStringConvertible {
    public let url: OutboundURL
    public let address: IPAddress

    public var host: String { url.host }
    public var port: Int { url.port }

    /// Origin and pinned address; no path or query (see `OutboundURL.description`).
    public var description: String { "\(url) via \(address)" }
}

/// The SSRF guard: the pure `OutboundURLPolicy` plus name resolution.
public struct OutboundGuard: Sendable {
    public let policy: OutboundURLPolicy
    public let resolver: any HostResolver

    public init(policy: OutboundURLPolicy = OutboundURLPolicy(), resolver: any HostResolver = SystemHostResolver()) {
        self.policy = policy
        self.resolver = resolver
    }

    /// Parses and checks `text`, resolves its host and checks every address.
    public func vet(_ text: String) async throws(OutboundRefusal) -> VettedURL {
        try await pin(policy.check(text))
    }

    /// Vets the `hop`-th redirect (from 1) of a request to `previous`.
    public func vetRedirect(from previous: VettedURL, location: String, hop: Int) async throws(OutboundRefusal) -> VettedURL {
        try await pin(policy.checkRedirect(from: previous.url, location: location, hop: hop))
    }

    private func pin(_ url: OutboundURL) async throws(OutboundRefusal) -> VettedURL {
        if let literal = url.literalAddress {
            return VettedURL(url: url, address: try policy.checkResolved(url, addresses: [literal]))
        }
        let addresses: [IPAddress]
        do {
            addresses = try await resolver.resolve(url.host)
        } catch {
            // The resolver's own error (which may name internal servers or
            // search domains) stays out of the refusal.
            throw OutboundRefusal(.unresolvableHost)
        }
        return VettedURL(url: url, address: try policy.checkResolved(url, addresses: addresses))
    }
}
