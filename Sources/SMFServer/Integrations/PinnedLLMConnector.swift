import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL

/// Runs OpenAI-compatible calls on a connection pinned to the address the
/// SSRF guard checked.
///
/// The LLM base URL comes from a user's credential. Vetting it and then
/// calling through the shared client would resolve the name twice, and a DNS
/// answer that changes in between (rebinding) could move the call to an
/// internal address. Here the vetted address is given to a short-lived
/// client as its `dnsOverride`, as `GuardedHTTPFetcher` does for
/// `http.request`: TLS still checks the certificate against the host name.
/// A client per call costs a connection set-up, which is small beside an LLM
/// answer.
struct PinnedLLMConnector: Sendable {
    let eventLoopGroup: any EventLoopGroup
    let vet: GuardedHTTPFetcher.Vet
    var connectTimeout: Duration = .seconds(10)
    /// Extra TLS settings (tests trust their own CA); nil = system defaults.
    var tlsConfiguration: TLSConfiguration?
    var logger: Logger

    /// Vets `baseURL`, then runs `body` with a client whose every connection
    /// to the base URL's host goes to the vetted address. Throws the guard's
    /// refusal (an `OutboundRefusal`) before any connection is made.
    func withClient<T: Sendable>(
        baseURL: String, _ body: (OpenAICompatibleClient) async throws -> T
    ) async throws -> T {
        let target = try await vet(baseURL)
        // The pin applies only to the host the guard vetted, and the
        // endpoints the client builds keep `baseURL`'s host: if the two
        // differed (the policy normalised the URL), the call would go out
        // unpinned, so refuse.
        guard let url = URL(string: baseURL), let rawHost = url.host, !target.pinnedAddress.isEmpty else {
            throw IntegrationError.invalidRequest(reason: "the LLM base URL is not usable")
        }
        let host = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        guard host.lowercased() == target.host.lowercased() else {
            throw IntegrationError.invalidRequest(reason: "the vetted target does not match the LLM base URL")
        }
        var configuration = IntegrationHTTP.clientConfiguration(
            connectTimeout: connectTimeout, dnsOverride: [host: target.pinnedAddress])
        configuration.tlsConfiguration = tlsConfiguration
        // No proxy: a proxy would resolve the name itself.
        configuration.proxy = nil
        let client = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: configuration)
        let llm = OpenAICompatibleClient(http: IntegrationHTTP(client: client, logger: logger))
        do {
            let result = try await body(llm)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
