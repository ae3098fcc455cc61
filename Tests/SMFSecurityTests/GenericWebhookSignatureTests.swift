import Foundation
import Testing
@testable import SMFSecurity

@Suite struct GenericWebhookSignatureTests {
    static let secret = "whsec_test"
    static let body = Data(#"{"id":"evt_1"}"#.utf8)
    static let signedAt: Int64 = 1_700_000_000
    static let now = Date(timeIntervalSince1970: TimeInterval(signedAt))
    /// HMAC-SHA256("whsec_test", "1700000000." + body), computed independently (Python hmac).
    static let knownV1 = "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"

    func verify(_ header: String?, body: Data = body, secrets: [String] = [secret], now: Date = now) -> WebhookVerification {
        GenericWebhookSignature.verify(body: body, header: header, secrets: secrets, now: now)
    }

    @Test func sign_covers_timestamp_dot_body() {
        #expect(GenericWebhookSignature.sign(body: Self.body, secret: Self.secret, timestamp: Self.signedAt)
            == "t=1700000000,v1=\(Self.knownV1)")
    }

    @Test func signed_request_verifies() {
        let header = GenericWebhookSignature.sign(body: Self.body, secret: Self.secret, timestamp: Self.signedAt)
        #expect(verify(header) == .verified)
        #expect(GenericWebhookSignature.verify(body: Self.body, headerValues: [header], secrets: [Self.secret], now: Self.now)
            == .verified)
    }

    @Test(arguments: [-300, -1, 0, 1, 300] as [Int64])
    func timestamps_within_five_minutes_verify(_ skew: Int64) {
        let header = GenericWebhookSignature.sign(body: Self.body, secret: Self.secret, timestamp: Self.signedAt + skew)
        #expect(verify(header) == .verified)
    }

    @Test(arguments: [-301, 301, -86_400, 86_400] as [Int64])
    func timestamps_outside_five_minutes_are_stale(_ skew: Int64) {
        let header = GenericWebhookSignature.sign(body: Self.body, secret: Self.secret, timestamp: Self.signedAt + skew)
        #expect(verify(header) == .refused(.staleTimestamp))
    }

    @Test func tolerance_is_configurable() {
        let header = GenericWebhookSignature.sign(body: Self.body, secret: Self.secret, timestamp: Self.signedAt - 61)
        #expect(GenericWebhookSignature.verify(body: Self.body, header: header, secrets: [Self.secret], now: Self.now,
                                               tolerance: 60) == .refused(.staleTimestamp))
    }

    @Test func huge_timestamp_is_stale_not_a_crash() {
        let header = GenericWebhookSignature.sign(body: Self.body, secret: Self.secret, timestamp: 999_999_999_999)
        #expect(verify(header, now: Date(timeIntervalSince1970: 0)) == .refused(.staleTimestamp))
    }

    @Test func wrong_secret_altered_body_or_altered_timestamp_is_refused() {
        let header = GenericWebhookSignature.sign(body: Self.body, secret: Self.secret, timestamp: Self.signedAt)
        #expect(verify(header, secrets: ["other"]) == .refused(.badSignature))
        #expect(verify(header, body: Data(#"{"id":"evt_2"}"#.utf8)) == .refused(.badSignature))
        // The timestamp is part of what is signed: moving it breaks the MAC.
        let moved = header.replacingOccurrences(of: "t=1700000000", with: "t=1700000001")
        #expect(verify(moved) == .refused(.badSignature))
    }

    @Test func bad_signature_is_reported_before_staleness() {
        let header = "t=1,v1=" + String(repeating: "0", count: 64)
        #expect(verify(header) == .refused(.badSignature))
    }

    @Test func any_of_several_v1_may_match() {
        let wrong = String(repeating: "ab", count: 32)
        #expect(verify("t=1700000000,v1=\(wrong),v1=\(Self.knownV1)") == .verified)
        #expect(verify("t=1700000000,v1=\(Self.knownV1),v1=\(wrong)") == .verified)
        #expect(verify("t=1700000000,v1=\(wrong),v1=\(wrong)") == .refused(.badSignature))
    }

    @Test func receiver_may_hold_several_secrets_during_rotation() {
        let header = GenericWebhookSignature.sign(body: Self.body, secret: "old_secret", timestamp: Self.signedAt)
        #expect(verify(header, secrets: ["new_secret", "old_secret"]) == .verified)
        #expect(verify(header, secrets: ["new_secret"]) == .refused(.badSignature))
    }

    @Test func missing_header_is_refused() {
        #expect(verify(nil) == .refused(.missingSignature))
        #expect(verify("") == .refused(.missingSignature))
    }

    @Test(arguments: [
        "t=abc,v1=\(knownV1)",                        // non-digit t
        "t=1700000000,t=1700000000,v1=\(knownV1)",    // duplicate t
        "v1=\(knownV1)",                              // no t
        "t=1700000000",                               // no v1
        "t=,v1=\(knownV1)",                           // empty t
        "t=-1700000000,v1=\(knownV1)",                // sign
        "t=+1700000000,v1=\(knownV1)",
        "t=1700000000.5,v1=\(knownV1)",
        "t=1234567890123,v1=\(knownV1)",              // 13 digits
        "t=1700000000,v1=\(knownV1.dropLast())",      // 63 hex
        "t=1700000000,v1=\(knownV1)0",                // 65 hex
        "t=1700000000,v1=\(knownV1.dropLast())g",     // non-hex
        "t=1700000000, v1=\(knownV1)",                // space
        "t=1700000000,v1=\(knownV1),",                // trailing comma
        "t=1700000000,,v1=\(knownV1)",                // empty item
        "t=1700000000,v0=\(knownV1)",                 // unknown scheme
        "t=1700000000,v1",                            // no '='
        "T=1700000000,v1=\(knownV1)",                 // keys are case-sensitive
        "t=1700000000" + String(repeating: ",v1=\(knownV1)", count: 9), // too many v1
    ])
    func malformed_headers_are_refused(_ header: String) {
        #expect(verify(header) == .refused(.malformedSignature))
    }

    @Test func several_header_values_are_refused() {
        let header = GenericWebhookSignature.sign(body: Self.body, secret: Self.secret, timestamp: Self.signedAt)
        #expect(GenericWebhookSignature.verify(body: Self.body, headerValues: [header, header], secrets: [Self.secret],
                                               now: Self.now) == .refused(.malformedSignature))
    }

    @Test func no_usable_secret_fails_closed() {
        let forged = GenericWebhookSignature.sign(body: Self.body, secret: "", timestamp: Self.signedAt)
        #expect(verify(forged, secrets: []) == .refused(.noSecretConfigured))
        #expect(verify(forged, secrets: [""]) == .refused(.noSecretConfigured))
        #expect(GenericWebhookSignature.verify(body: Self.body, headerValues: [], secrets: [], now: Self.now)
            == .refused(.noSecretConfigured))
    }

    @Test func refusal_never_contains_the_expected_signature() {
        let result = verify("t=1700000000,v1=" + String(repeating: "0", count: 64))
        #expect(!"\(result)".contains(String(Self.knownV1.prefix(8))))
        #expect(!"\(result)".contains(Self.secret))
    }
}
