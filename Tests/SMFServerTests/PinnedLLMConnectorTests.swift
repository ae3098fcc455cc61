import Foundation
import Logging
import NIOPosix
import SMFFakes
@testable import SMFServer
import Testing

/// LLM calls go to the address the SSRF guard vetted, never to a second DNS
/// answer (DNS rebinding; issue 8's known gap, closed).
@Suite("Pinned LLM calls")
struct PinnedLLMConnectorTests {
    static let llmKey = "sk-test-pinned-key-" + UUID().uuidString
    /// `.invalid` never resolves (RFC 6761): a call that reaches the fake
    /// through this name can only have used the pinned address.
    static let unresolvableHost = "llm.smflow-test.invalid"

    func connector(pinning address: String, host: String = Self.unresolvableHost) -> PinnedLLMConnector {
        PinnedLLMConnector(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            vet: { url in
                let port = URL(string: url)?.port ?? 80
                return VettedTarget(url: url, host: host, port: port, pinnedAddress: address)
            },
            connectTimeout: .seconds(2),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    @Test func chat_goes_to_the_vetted_address_not_a_new_resolution() async throws {
        let fake = try await FakeLLM.start(apiKeys: [Self.llmKey])
        do {
            let base = "http://\(Self.unresolvableHost):\(fake.port)"
            let answer = try await connector(pinning: "127.0.0.1").withClient(baseURL: base) { llm in
                try await llm.chatCompletion(baseURL: base, apiKey: Self.llmKey, model: "m", messages: [.user("pinned?")])
            }
            #expect(answer.content == "Answer: pinned?")
            #expect(fake.chatCalls.count == 1)
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    @Test func a_refused_base_url_makes_no_call() async throws {
        struct Refused: Error {}
        let fake = try await FakeLLM.start(apiKeys: [Self.llmKey])
        let connector = PinnedLLMConnector(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            vet: { _ in throw Refused() },
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        await #expect(throws: Refused.self) {
            try await connector.withClient(baseURL: fake.baseURL) { llm in
                try await llm.chatCompletion(baseURL: fake.baseURL, apiKey: Self.llmKey, model: "m", messages: [.user("x")])
            }
        }
        #expect(fake.chatCalls.count == 0)
        await fake.stop()
    }

    @Test func a_vetted_host_other_than_the_base_urls_is_refused() async throws {
        let fake = try await FakeLLM.start(apiKeys: [Self.llmKey])
        // The guard vetted another name than the one the call would use: the
        // pin would not apply to the call's host, so nothing goes out.
        let mismatched = connector(pinning: "127.0.0.1", host: "other.smflow-test.invalid")
        await #expect(throws: IntegrationError.self) {
            try await mismatched.withClient(baseURL: fake.baseURL) { llm in
                try await llm.chatCompletion(baseURL: fake.baseURL, apiKey: Self.llmKey, model: "m", messages: [.user("x")])
            }
        }
        #expect(fake.chatCalls.count == 0)
        await fake.stop()
    }
}
