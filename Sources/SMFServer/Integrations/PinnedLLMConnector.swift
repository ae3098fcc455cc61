import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL

/// Runs OpenAI-compatible calls on a connection pinned to the address the
/// SSRF guard checked (`PinnedHTTPClient`): the LLM base URL comes from a
/// user's credential, so it is vetted like an `http.request` URL. A client
/// per call costs a connection set-up, which is small beside an LLM answer.
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
        guard let url = URL(string: baseURL), let host = PinnedHTTPClient.lookupHost(of: url), !target.pinnedAddress.isEmpty else {
            throw IntegrationError.invalidRequest(reason: "the LLM base URL is not usable")
        }
        guard host.lowercased() == target.host.lowercased() else {
            throw IntegrationError.invalidRequest(reason: "the vetted target does not match the LLM base URL")
        }
        return try await PinnedHTTPClient.with(
            host: host, pinnedTo: target.pinnedAddress, connectTimeout: connectTimeout, tlsConfiguration: tlsConfiguration,
            eventLoopGroup: eventLoopGroup
        ) { client in
            try await body(OpenAICompatibleClient(http: IntegrationHTTP(client: client, logger: logger)))
        }
    }
}
