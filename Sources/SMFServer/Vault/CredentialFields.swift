import Foundation
import SMFCore

/// The fields each credential kind holds, which of them are secret, and how
/// each is checked. The API accepts exactly these (unknown fields are
/// refused, so a typo never lands in storage unencrypted or unseen); secret
/// fields go into the sealed blob, public ones are stored and shown in clear.
///
/// Problem texts never quote the value: it may be a secret.
enum CredentialFields {
    struct Spec: Sendable {
        let name: String
        let isSecret: Bool
        /// Must be present on create (and, for secrets, on replace).
        let isRequired: Bool
        let check: @Sendable (String, Context) -> String?
    }

    /// What some checks depend on besides the value.
    struct Context: Sendable {
        /// Tests only (`AppConfig.allowLoopbackOutbound`): `base_url` may be
        /// `http://` on a loopback host, to reach a local fake.
        var allowLoopbackHTTP = false
    }

    /// The fields of `kind`, in a fixed order.
    static func specs(for kind: CredentialKind) -> [Spec] {
        switch kind {
        case .telegramBot:
            [Spec(name: "bot_token", isSecret: true, isRequired: true, check: telegramToken)]
        case .instagramAccount:
            [
                Spec(name: "access_token", isSecret: true, isRequired: true, check: printableASCII(1...1024)),
                Spec(name: "app_secret", isSecret: true, isRequired: true, check: printableASCII(1...1024)),
                Spec(name: "verify_token", isSecret: true, isRequired: true, check: printableASCII(1...256)),
                Spec(name: "ig_user_id", isSecret: false, isRequired: true, check: digits(1...32)),
            ]
        case .llmOpenAICompatible:
            [
                Spec(name: "base_url", isSecret: false, isRequired: true, check: baseURL),
                Spec(name: "api_key", isSecret: true, isRequired: true, check: printableASCII(1...512)),
            ]
        case .httpHeader:
            [
                Spec(name: "header_name", isSecret: false, isRequired: true, check: headerName),
                Spec(name: "header_value", isSecret: true, isRequired: true, check: headerValue),
            ]
        }
    }

    /// Checked fields, split by secrecy.
    struct Checked: Sendable {
        var secrets: [String: String] = [:]
        var publicFields: [String: String] = [:]
        var problems: [SMFError.FieldError] = []
    }

    enum Mode {
        /// Every required field must be present.
        case create
        /// `PUT …/secrets`: every required secret must be present (the
        /// secrets are replaced as a whole); public fields are optional and,
        /// when given, replace the stored ones.
        case replaceSecrets
    }

    /// Checks the `fields` object of a request body; pointers are
    /// `/fields/<name>`.
    static func check(_ fields: [String: JSONValue], kind: CredentialKind, mode: Mode, context: Context) -> Checked {
        var result = Checked()
        let specs = specs(for: kind)
        let known = Set(specs.map(\.name))
        for name in fields.keys.sorted() where !known.contains(name) {
            result.problems.append(.init(
                pointer: "/fields/" + JSONPointerEscape.escape(String(name.prefix(64))),
                detail: "Unknown field for \(kind.rawValue); use \(specs.map(\.name).joined(separator: ", ")).",
                code: "unknown-field"))
        }
        for spec in specs {
            let pointer = "/fields/\(spec.name)"
            guard let value = fields[spec.name], !value.isNull else {
                let required = spec.isRequired && (mode == .create || spec.isSecret)
                if required { result.problems.append(.init(pointer: pointer, detail: "This field is required.", code: "required")) }
                continue
            }
            guard let text = value.stringValue else {
                result.problems.append(.init(pointer: pointer, detail: "Use a string.", code: "type"))
                continue
            }
            if let problem = spec.check(text, context) {
                result.problems.append(.init(pointer: pointer, detail: problem, code: "invalid"))
                continue
            }
            if spec.isSecret { result.secrets[spec.name] = text } else { result.publicFields[spec.name] = text }
        }
        return result
    }

    /// The masked hint shown for a secret: `…` and its last 4 characters,
    /// or `…` alone when the secret is shorter than 12 characters (4 of
    /// them would give away too much of it).
    static func hint(for secret: String) -> String {
        secret.count >= 12 ? "…" + secret.suffix(4) : "…"
    }

    // MARK: - Checks

    static let telegramToken: @Sendable (String, Context) -> String? = { value, _ in
        // ^[0-9]{1,20}:[A-Za-z0-9_-]{30,64}$
        let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let isValid = parts.count == 2
            && (1...20).contains(parts[0].utf8.count) && parts[0].utf8.allSatisfy { (48...57).contains($0) }
            && (30...64).contains(parts[1].utf8.count) && parts[1].utf8.allSatisfy(isBase64URLByte)
        return isValid ? nil : "Use the token BotFather gave you: digits, a colon, then 30 to 64 letters, digits, _ or -."
    }

    static func printableASCII(_ range: ClosedRange<Int>) -> @Sendable (String, Context) -> String? {
        { value, _ in
            (range.contains(value.utf8.count) && value.utf8.allSatisfy { (0x21...0x7e).contains($0) })
                ? nil : "Use \(range.lowerBound) to \(range.upperBound) printable ASCII characters without spaces."
        }
    }

    static func digits(_ range: ClosedRange<Int>) -> @Sendable (String, Context) -> String? {
        { value, _ in
            (range.contains(value.utf8.count) && value.utf8.allSatisfy { (48...57).contains($0) })
                ? nil : "Use \(range.lowerBound) to \(range.upperBound) digits."
        }
    }

    static let maxURLLength = 2048

    /// An absolute `https://` URL (no credentials, no fragment); `http://`
    /// only on a loopback host and only when the tests allow it. Where it
    /// resolves to is checked by the SSRF guard at call time.
    static let baseURL: @Sendable (String, Context) -> String? = { value, context in
        let problem = context.allowLoopbackHTTP
            ? "Use an absolute https:// URL (http:// only on a loopback host) of at most \(maxURLLength) characters, without user name, password or fragment."
            : "Use an absolute https:// URL of at most \(maxURLLength) characters, without user name, password or fragment."
        guard value.utf8.count <= maxURLLength, value.utf8.allSatisfy({ (0x21...0x7e).contains($0) }),
              let components = URLComponents(string: value), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty,
              components.user == nil, components.password == nil, components.fragment == nil
        else { return problem }
        switch scheme {
        case "https": return nil
        case "http": return context.allowLoopbackHTTP && isLoopbackHost(host) ? nil : problem
        default: return problem
        }
    }

    static func isLoopbackHost(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare.lowercased() == "localhost" { return true }
        if bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Headers a credential may not set: they frame the message, route it,
    /// or carry another party's state (request smuggling, host confusion,
    /// session riding).
    static let forbiddenHeaderNames: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "cookie", "set-cookie", "upgrade", "te",
        "trailer", "keep-alive", "proxy-authorization", "proxy-authenticate", "proxy-connection", "expect",
        "content-encoding", "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip",
    ]

    static let headerName: @Sendable (String, Context) -> String? = { value, _ in
        // RFC 9110 token: 1*tchar.
        let tchar = Set("!#$%&'*+-.^_`|~".utf8)
        let isToken = (1...256).contains(value.utf8.count)
            && value.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || tchar.contains($0) }
        guard isToken else { return "Use a header name of 1 to 256 token characters (letters, digits and !#$%&'*+-.^_`|~)." }
        guard !forbiddenHeaderNames.contains(value.lowercased()) else {
            return "This header is set by the HTTP client and cannot come from a credential."
        }
        return nil
    }

    static let headerValue: @Sendable (String, Context) -> String? = { value, _ in
        // Visible ASCII, spaces and tabs; never CR, LF or other controls.
        let isValid = (1...4096).contains(value.utf8.count)
            && !value.hasPrefix(" ") && !value.hasPrefix("\t")
            && value.unicodeScalars.allSatisfy { $0 == "\t" || (0x20...0x7e).contains($0.value) }
        return isValid ? nil : "Use 1 to 4096 ASCII characters without line breaks or other control characters, not starting with a space."
    }

    private static func isBase64URLByte(_ byte: UInt8) -> Bool {
        byte == 45 || byte == 95 || (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }
}
