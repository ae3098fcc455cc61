import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL

/// A short-lived client whose every connection to one host goes to the
/// address the SSRF guard vetted, shared by `GuardedHTTPFetcher`
/// (`http.request`) and `PinnedLLMConnector` (LLM calls).
///
/// Vetting a URL and then calling it through a client that resolves the
/// name again would let a DNS answer that changes in between (rebinding)
/// move the call to an internal address. The vetted address is given as the
/// client's `dnsOverride`; TLS still checks the certificate against the host
/// name. No proxy: a proxy would resolve the name itself.
enum PinnedHTTPClient {
    /// The host of `url` as AsyncHTTPClient looks it up in `dnsOverride`:
    /// an IPv6 literal without its brackets. nil when the URL has no host.
    static func lookupHost(of url: URL) -> String? {
        guard let host = url.host, !host.isEmpty else { return nil }
        return host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// Runs `body` with a client pinned to `address` for `host`, and shuts
    /// the client down afterwards whatever `body` does.
    static func with<T: Sendable>(
        host: String, pinnedTo address: String, connectTimeout: Duration, tlsConfiguration: TLSConfiguration?,
        eventLoopGroup: any EventLoopGroup, _ body: (HTTPClient) async throws -> T
    ) async throws -> T {
        var configuration = IntegrationHTTP.clientConfiguration(connectTimeout: connectTimeout, dnsOverride: [host: address])
        configuration.tlsConfiguration = tlsConfiguration
        configuration.proxy = nil
        let client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration)
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
