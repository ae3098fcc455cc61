import Foundation
import Testing
@testable import SMFSecurity

@Suite struct TelegramSecretTokenTests {
    @Test func generated_tokens_are_well_formed_random_and_carry_32_bytes() throws {
        let first = TelegramSecretToken.generate()
        let second = TelegramSecretToken.generate()
        #expect(first != second)
        #expect(TelegramSecretToken.isWellFormed(first))
        #expect(try #require(Data(base64URLEncoded: first)).count >= 32)
    }

    @Test(arguments: ["a", "A-z_0-9", String(repeating: "x", count: 256)])
    func format_accepts_telegram_alphabet_up_to_256(_ token: String) {
        #expect(TelegramSecretToken.isWellFormed(token))
    }

    @Test(arguments: ["", String(repeating: "x", count: 257), "a b", "a=b", "a+b", "a/b", "caf\u{e9}", "a\nb", "a.b"])
    func format_refuses_everything_else(_ token: String) {
        #expect(!TelegramSecretToken.isWellFormed(token))
    }

    @Test func digest_is_lowercase_hex_sha256() {
        #expect(TelegramSecretToken.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func matching_header_is_verified() {
        let token = TelegramSecretToken.generate()
        let stored = TelegramSecretToken.digest(token)
        #expect(TelegramSecretToken.verify(header: token, storedDigest: stored) == .verified)
        #expect(TelegramSecretToken.verify(headerValues: [token], storedDigest: stored) == .verified)
        // Digest written in upper case by hand still matches.
        #expect(TelegramSecretToken.verify(header: token, storedDigest: stored.uppercased()) == .verified)
    }

    @Test func wrong_header_is_refused() {
        let stored = TelegramSecretToken.digest("right_token")
        #expect(TelegramSecretToken.verify(header: "wrong_token", storedDigest: stored) == .refused(.badSignature))
        #expect(TelegramSecretToken.verify(header: "right_token_", storedDigest: stored) == .refused(.badSignature))
    }

    @Test func missing_or_empty_header_is_refused() {
        let stored = TelegramSecretToken.digest("right_token")
        #expect(TelegramSecretToken.verify(header: nil, storedDigest: stored) == .refused(.missingSignature))
        #expect(TelegramSecretToken.verify(header: "", storedDigest: stored) == .refused(.missingSignature))
        #expect(TelegramSecretToken.verify(headerValues: [], storedDigest: stored) == .refused(.missingSignature))
    }

    @Test func header_outside_the_format_is_refused_even_if_its_digest_matches() {
        // Someone stored the digest of a value Telegram could never send.
        let stored = TelegramSecretToken.digest("not a token")
        #expect(TelegramSecretToken.verify(header: "not a token", storedDigest: stored) == .refused(.malformedSignature))
        let long = String(repeating: "x", count: 257)
        #expect(TelegramSecretToken.verify(header: long, storedDigest: TelegramSecretToken.digest(long))
            == .refused(.malformedSignature))
    }

    @Test func several_header_values_are_refused() {
        let stored = TelegramSecretToken.digest("right_token")
        #expect(TelegramSecretToken.verify(headerValues: ["right_token", "right_token"], storedDigest: stored)
            == .refused(.malformedSignature))
    }

    @Test func no_stored_digest_fails_closed() {
        #expect(TelegramSecretToken.verify(header: "anything", storedDigest: nil) == .refused(.noSecretConfigured))
        #expect(TelegramSecretToken.verify(header: "", storedDigest: "") == .refused(.noSecretConfigured))
        #expect(TelegramSecretToken.verify(headerValues: [], storedDigest: nil) == .refused(.noSecretConfigured))
        // A plaintext token stored where the digest belongs is not a digest.
        #expect(TelegramSecretToken.verify(header: "right_token", storedDigest: "right_token") == .refused(.noSecretConfigured))
    }

    @Test func refusals_never_contain_the_token_or_digest() {
        let token = "right_token_value"
        let stored = TelegramSecretToken.digest(token)
        for header in ["wrong", "", "bad value", token + "x"] {
            let text = "\(TelegramSecretToken.verify(header: header, storedDigest: stored))"
            #expect(!text.contains(token))
            #expect(!text.contains(stored))
            #expect(!text.contains(String(stored.prefix(8))))
        }
    }
}
