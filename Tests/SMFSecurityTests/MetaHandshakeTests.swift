import Testing
@testable import SMFSecurity

@Suite struct MetaHandshakeTests {
    static let stored = "my-verify-token_42"

    @Test func matching_subscribe_echoes_the_challenge() {
        let outcome = MetaVerifyHandshake.respond(mode: "subscribe", verifyToken: Self.stored, challenge: "1158201444",
                                                  storedVerifyToken: Self.stored)
        #expect(outcome == .accept(challenge: "1158201444"))
    }

    @Test(arguments: ["wrong", "my-verify-token_4", "my-verify-token_42x", "MY-VERIFY-TOKEN_42"])
    func wrong_verify_token_is_refused(_ presented: String) {
        let outcome = MetaVerifyHandshake.respond(mode: "subscribe", verifyToken: presented, challenge: "123",
                                                  storedVerifyToken: Self.stored)
        #expect(outcome == .refuse(.badSignature))
    }

    @Test func missing_verify_token_is_refused() {
        for presented in [nil, ""] as [String?] {
            #expect(MetaVerifyHandshake.respond(mode: "subscribe", verifyToken: presented, challenge: "123",
                                                storedVerifyToken: Self.stored) == .refuse(.missingSignature))
        }
    }

    @Test func no_stored_token_fails_closed() {
        // Empty presented == empty stored must not count as a match.
        #expect(MetaVerifyHandshake.respond(mode: "subscribe", verifyToken: "", challenge: "123",
                                            storedVerifyToken: "") == .refuse(.noSecretConfigured))
        #expect(MetaVerifyHandshake.respond(mode: "subscribe", verifyToken: "x", challenge: "123",
                                            storedVerifyToken: nil) == .refuse(.noSecretConfigured))
    }

    @Test(arguments: [nil, "", "unsubscribe", "Subscribe", "subscribe "] as [String?])
    func mode_other_than_subscribe_is_refused(_ mode: String?) {
        #expect(MetaVerifyHandshake.respond(mode: mode, verifyToken: Self.stored, challenge: "123",
                                            storedVerifyToken: Self.stored) == .refuse(.unsupportedMode))
    }

    @Test(arguments: [nil, "", "<script>alert(1)</script>", "abc def", "caf\u{e9}", "a\r\nSet-Cookie:x",
                      String(repeating: "9", count: 129)] as [String?])
    func unsafe_challenge_is_never_echoed(_ challenge: String?) {
        #expect(MetaVerifyHandshake.respond(mode: "subscribe", verifyToken: Self.stored, challenge: challenge,
                                            storedVerifyToken: Self.stored) == .refuse(.malformedChallenge))
    }

    @Test func challenge_of_128_safe_characters_is_echoed() {
        let challenge = String(repeating: "aZ09_-", count: 22).prefix(128)
        #expect(MetaVerifyHandshake.respond(mode: "subscribe", verifyToken: Self.stored, challenge: String(challenge),
                                            storedVerifyToken: Self.stored) == .accept(challenge: String(challenge)))
    }
}
