/// Decides which address a request really came from.
///
/// The TCP peer is the only address nobody can forge. `X-Forwarded-For` is
/// believed only when that peer is one of our own proxies (`SMF_TRUSTED_PROXIES`),
/// and then only up to the first hop that is *not* a trusted proxy: everything
/// left of it was written by the client and may be made up. (Vapor's
/// `req.peerAddress` trusts the header from anyone — DESIGN pitfall 3.)
public struct ClientIPResolver: Sendable {
    public let trustedProxies: [CIDR]

    public init(trustedProxies: [CIDR]) {
        self.trustedProxies = trustedProxies
    }

    /// - Parameters:
    ///   - peer: the TCP peer address, if known.
    ///   - forwardedFor: every `X-Forwarded-For` header value, in the order received.
    /// - Returns: the client address, or `nil` when the peer is unknown.
    public func clientIP(peer: IPAddress?, forwardedFor: [String]) -> IPAddress? {
        guard let peer else { return nil }
        guard trustedProxies.contains(peer) else { return peer }
        // Hops are appended left to right, so walk from the right (closest to us).
        let hops = forwardedFor
            .flatMap { $0.split(separator: ",") }
            .map { String($0).trimmingASCIIWhitespace() }
        var client = peer
        for hop in hops.reversed() {
            guard let address = IPAddress(hop) else {
                // A garbled entry ends the chain we can vouch for.
                return client
            }
            client = address
            if !trustedProxies.contains(address) { return address }
        }
        return client
    }

    /// `X-Forwarded-Proto` from a trusted proxy, lowercased; `nil` otherwise.
    public func forwardedProto(peer: IPAddress?, header: String?) -> String? {
        guard let peer, trustedProxies.contains(peer), let header else { return nil }
        // The proxy closest to us appends last.
        let last = header.split(separator: ",").last.map { String($0).trimmingASCIIWhitespace().lowercased() }
        return last == "https" || last == "http" ? last : nil
    }
}
