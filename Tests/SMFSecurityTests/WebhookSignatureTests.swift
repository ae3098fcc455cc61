import Foundation
import Testing
@testable import SMFSecurity

/// Meta's `X-Hub-Signature-256`.
@Suite struct WebhookSignatureTests {
    /// An Instagram comment webhook as Meta sends it: non-ASCII escaped as
    /// `\uXXXX`, the emoji as a surrogate pair. The raw string keeps the
    /// backslashes: these are the bytes on the wire.
    static let metaBody = Data(#"{"object":"instagram","entry":[{"id":"17841400000000000","time":1700000000,"changes":[{"field":"comments","value":{"from":{"id":"232323232","username":"caf\u00e9_lover"},"media":{"id":"123123123","media_product_type":"FEED"},"id":"17865799348089039","text":"Tr\u00e8s bien \ud83d\ude00 \u00e9t\u00e9"}}]}]}"#.utf8)
    static let appSecret = "0123456789abcdef0123456789abcdef"

    @Test func sign_matches_a_known_hmac_sha256_vector() {
        let header = MetaSignature.sign(body: Data("The quick brown fox jumps over the lazy dog".utf8), secret: "key")
        #expect(header == "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    }

    @Test func signature_over_escaped_raw_bytes_verifies() {
        let header = MetaSignature.sign(body: Self.metaBody, secret: Self.appSecret)
        #expect(MetaSignature.verify(body: Self.metaBody, header: header, appSecret: Self.appSecret) == .verified)
        #expect(MetaSignature.verify(body: Array(Self.metaBody), headerValues: [header], appSecret: Self.appSecret) == .verified)
    }

    @Test func reserialised_body_does_not_verify() throws {
        let header = MetaSignature.sign(body: Self.metaBody, secret: Self.appSecret)
        let object = try JSONSerialization.jsonObject(with: Self.metaBody)
        let reserialised = try JSONSerialization.data(withJSONObject: object)
        // The round trip decoded the escapes into UTF-8: different bytes.
        #expect(reserialised != Self.metaBody)
        #expect(String(decoding: reserialised, as: UTF8.self).contains("\u{1F600}"))
        #expect(MetaSignature.verify(body: reserialised, header: header, appSecret: Self.appSecret) == .refused(.badSignature))
    }

    @Test func uppercase_hex_is_accepted() {
        let header = MetaSignature.sign(body: Self.metaBody, secret: Self.appSecret)
        let upper = "sha256=" + header.dropFirst(7).uppercased()
        #expect(MetaSignature.verify(body: Self.metaBody, header: upper, appSecret: Self.appSecret) == .verified)
    }

    @Test func wrong_secret_or_altered_body_is_refused() {
        let header = MetaSignature.sign(body: Self.metaBody, secret: Self.appSecret)
        #expect(MetaSignature.verify(body: Self.metaBody, header: header, appSecret: Self.appSecret + "x")
            == .refused(.badSignature))
        var altered = Self.metaBody
        altered[altered.count - 3] ^= 0x01
        #expect(MetaSignature.verify(body: altered, header: header, appSecret: Self.appSecret) == .refused(.badSignature))
    }

    @Test func missing_header_is_refused() {
        #expect(MetaSignature.verify(body: Self.metaBody, header: nil, appSecret: Self.appSecret) == .refused(.missingSignature))
        #expect(MetaSignature.verify(body: Self.metaBody, header: "", appSecret: Self.appSecret) == .refused(.missingSignature))
        #expect(MetaSignature.verify(body: Self.metaBody, headerValues: [], appSecret: Self.appSecret) == .refused(.missingSignature))
    }

    @Test func malformed_headers_are_refused() {
        let hex = String(MetaSignature.sign(body: Self.metaBody, secret: Self.appSecret).dropFirst(7))
        let sha1 = "sha1=" + String(hex.prefix(40))
        let malformed = [hex, "sha256:" + hex, "SHA256=" + hex, "sha256=" + hex.dropLast(), "sha256=" + hex + "0",
                         "sha256=" + hex.dropLast() + "g", "sha256= " + hex, "sha256=" + hex + " ", sha1, "sha256="]
        for header in malformed {
            #expect(MetaSignature.verify(body: Self.metaBody, header: header, appSecret: Self.appSecret)
                == .refused(.malformedSignature), "\(header)")
        }
    }

    @Test func several_header_values_are_refused() {
        let header = MetaSignature.sign(body: Self.metaBody, secret: Self.appSecret)
        #expect(MetaSignature.verify(body: Self.metaBody, headerValues: [header, header], appSecret: Self.appSecret)
            == .refused(.malformedSignature))
    }

    @Test func absent_or_empty_app_secret_fails_closed() {
        // HMAC with an empty key is computable by anyone: a verifier that
        // used "" as the key would accept this forgery.
        let forged = MetaSignature.sign(body: Self.metaBody, secret: "")
        #expect(MetaSignature.verify(body: Self.metaBody, header: forged, appSecret: "") == .refused(.noSecretConfigured))
        #expect(MetaSignature.verify(body: Self.metaBody, header: forged, appSecret: nil) == .refused(.noSecretConfigured))
        #expect(MetaSignature.verify(body: Self.metaBody, headerValues: [forged, forged], appSecret: nil)
            == .refused(.noSecretConfigured))
    }

    @Test func refusal_never_contains_the_expected_signature() {
        let expected = MetaSignature.sign(body: Self.metaBody, secret: Self.appSecret)
        let result = MetaSignature.verify(body: Self.metaBody, header: "sha256=" + String(repeating: "0", count: 64),
                                          appSecret: Self.appSecret)
        #expect(result == .refused(.badSignature))
        #expect(!"\(result)".contains(String(expected.dropFirst(7).prefix(8))))
        #expect(!"\(result)".contains(Self.appSecret))
    }

    @Test func refusal_reasons_are_stable_snake_case_codes() {
        #expect(WebhookRefusal.allCases.map(\.rawValue) == ["missing_signature", "malformed_signature", "bad_signature",
            "stale_timestamp", "no_secret_configured", "unsupported_mode", "malformed_challenge"])
        #expect("\(WebhookVerification.refused(.badSignature))" == "refused(bad_signature)")
        #expect(WebhookVerification.verified.isVerified)
        #expect(WebhookVerification.refused(.staleTimestamp).refusal == .staleTimestamp)
    }
}
