import Crypto
import Foundation

/// Signatures for our generic webhook endpoints, in the scheme Stripe made
/// familiar: `SMF-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` where each
/// `v1` is HMAC-SHA256(secret, "<t>." + raw body).
///
/// Signing the timestamp with the body lets us refuse replays: a captured
/// request stops verifying `tolerance` seconds after it was signed. Several
/// `v1` values let a sender sign with both the old and the new secret while
/// a secret is rotated; several `secrets` let the receiver accept both.
public enum GenericWebhookSignature {
    public static let headerName = "SMF-Signature"

    /// Five minutes either side of our clock.
    public static let defaultTolerance: Int64 = 300

    /// Bounds on what we parse from an unauthenticated header.
    static let maximumHeaderLength = 1024
    static let maximumSignatures = 8
    static let maximumTimestampDigits = 12

    /// The header value for `body` signed at `timestamp` (unix seconds).
    /// For clients that call our endpoints, and for tests.
    public static func sign(body: some DataProtocol, secret: String, timestamp: Int64) -> String {
        let stamp = String(timestamp)
        return "t=\(stamp),v1=\(WebhookHex.encode(mac(body: body, secret: secret, timestamp: Substring(stamp))))"
    }

    /// Checks every value of the signature header of one request (none →
    /// missing, several → malformed).
    public static func verify(body: some DataProtocol, headerValues: [String], secrets: [String],
                              now: Date = Date(), tolerance: Int64 = defaultTolerance) -> WebhookVerification {
        guard secrets.contains(where: { !$0.isEmpty }) else { return .refused(.noSecretConfigured) }
        guard headerValues.count <= 1 else { return .refused(.malformedSignature) }
        return verify(body: body, header: headerValues.first, secrets: secrets, now: now, tolerance: tolerance)
    }

    /// Checks `header` against `body`.
    ///
    /// - Parameters:
    ///   - secrets: the endpoint's secret(s), current first; empty strings are
    ///     ignored and no usable secret refuses everything (fail closed).
    ///   - now: the receiver's clock (injectable for tests).
    ///   - tolerance: how far, in seconds, `t` may lie from `now` either way.
    ///
    /// The signature is checked before the timestamp, so `staleTimestamp`
    /// only ever reports a genuine but replayed (or badly clocked) delivery.
    public static func verify(body: some DataProtocol, header: String?, secrets: [String],
                              now: Date = Date(), tolerance: Int64 = defaultTolerance) -> WebhookVerification {
        let keys = secrets.filter { !$0.isEmpty }
        guard !keys.isEmpty else { return .refused(.noSecretConfigured) }
        guard let header, !header.isEmpty else { return .refused(.missingSignature) }
        guard let parsed = parse(header) else { return .refused(.malformedSignature) }

        // Every (secret, v1) pair is compared, none skipped on a match: the
        // time taken depends only on how many there are.
        var matched = false
        for key in keys {
            let expected = mac(body: body, secret: key, timestamp: parsed.timestampText)
            for signature in parsed.signatures where ConstantTime.equals(signature, expected) {
                matched = true
            }
        }
        guard matched else { return .refused(.badSignature) }

        let current = Int64(now.timeIntervalSince1970.rounded(.down))
        let (difference, overflow) = current.subtractingReportingOverflow(parsed.timestamp)
        guard !overflow, difference.magnitude <= tolerance.magnitude else { return .refused(.staleTimestamp) }
        return .verified
    }

    struct Parsed: Equatable {
        /// The digits exactly as sent: they are what the sender signed.
        var timestampText: Substring
        var timestamp: Int64
        var signatures: [[UInt8]]
    }

    /// Strict parse: comma-separated `key=value` items, no spaces; exactly
    /// one `t` of 1–12 ASCII digits; 1–8 `v1` of 64 hex digits; any other
    /// key, an empty item or a repeated `t` makes the header malformed.
    static func parse(_ header: String) -> Parsed? {
        guard header.utf8.count <= maximumHeaderLength else { return nil }
        var timestampText: Substring?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",", omittingEmptySubsequences: false) {
            guard let equals = item.firstIndex(of: "=") else { return nil }
            let key = item[..<equals]
            let value = item[item.index(after: equals)...]
            switch key {
            case "t":
                guard timestampText == nil, !value.isEmpty, value.utf8.count <= maximumTimestampDigits,
                      value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
                timestampText = value
            case "v1":
                guard signatures.count < maximumSignatures,
                      let bytes = WebhookHex.decode(value.utf8, byteCount: SHA256.byteCount) else { return nil }
                signatures.append(bytes)
            default:
                return nil
            }
        }
        guard let timestampText, let timestamp = Int64(timestampText), !signatures.isEmpty else { return nil }
        return Parsed(timestampText: timestampText, timestamp: timestamp, signatures: signatures)
    }

    static func mac(body: some DataProtocol, secret: String, timestamp: Substring) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
        hmac.update(data: Data(timestamp.utf8))
        hmac.update(data: Data(".".utf8))
        hmac.update(data: body)
        return Array(hmac.finalize())
    }
}
