/// Why the SSRF guard refused a user-supplied URL.
///
/// `code` is stable (API problem types, logs, metrics). `message` is a fixed
/// sentence per code, safe to show the user who typed the URL: it never
/// repeats resolver errors, resolved addresses or the range they fell in,
/// which would turn the guard into a probe of our internal network.
/// `blockedRange` is for our own logs only.
public struct OutboundRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        case malformedURL = "malformed_url"
        case unsupportedScheme = "unsupported_scheme"
        case insecureScheme = "insecure_scheme"
        case userInfoNotAllowed = "userinfo_not_allowed"
        case missingHost = "missing_host"
        case invalidHost = "invalid_host"
        case numericHost = "ambiguous_numeric_host"
        case invalidPort = "invalid_port"
        case blockedAddress = "blocked_address"
        case unresolvableHost = "unresolvable_host"
        case tooManyRedirects = "too_many_redirects"
        case redirectDowngrade = "redirect_downgrade"
    }

    public let code: Code
    /// The range a refused address fell in (only for `.blockedAddress`).
    /// For logs; do not put it in responses.
    public let blockedRange: BlockedAddressRange?

    public init(_ code: Code, blockedRange: BlockedAddressRange? = nil) {
        self.code = code
        self.blockedRange = blockedRange
    }

    /// A sentence for the user. Fixed per code.
    public var message: String {
        switch code {
        case .malformedURL: "The URL is not valid."
        case .unsupportedScheme: "Only http and https URLs can be called."
        case .insecureScheme: "Only https URLs can be called."
        case .userInfoNotAllowed: "URLs with a user name or password are not allowed; send credentials in a header."
        case .missingHost: "The URL has no host."
        case .invalidHost: "The URL's host name is not valid (write internationalised names in their xn-- form)."
        case .numericHost: "The URL's host is a number in an ambiguous form; write IPv4 addresses as four decimal parts."
        case .invalidPort: "The URL's port must be a number from 1 to 65535."
        case .blockedAddress: "The host is on a private, local or reserved network and cannot be called."
        case .unresolvableHost: "The host name could not be resolved."
        case .tooManyRedirects: "The server redirected too many times."
        case .redirectDowngrade: "The server redirected from https to plain http, which is refused."
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
