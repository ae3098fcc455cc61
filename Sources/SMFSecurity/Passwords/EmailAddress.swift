/// A syntactically valid email address, normalised for storage and
/// comparison. Accepts the addresses people actually use (dot-atom local
/// part, DNS domain), not everything RFC 5322 allows: quoted local parts,
/// comments, IP literals and non-ASCII are refused, because they are almost
/// never real sign-ups and are a classic source of parser differentials
/// (header injection, two systems disagreeing on who the recipient is).
///
/// Equality and hashing use `canonical` (the whole address lowercased), so
/// `Alice@example.com` and `alice@example.com` are one account: although
/// RFC 5321 lets a mail server treat local parts case-sensitively, virtually
/// none do, and two accounts for one mailbox invite takeover confusion.
public struct EmailAddress: Sendable, Hashable {
    /// The part before `@`, as typed.
    public let localPart: String
    /// The part after `@`, lowercased.
    public let domain: String
    /// Local part as typed + lowercased domain: what we display and mail to.
    public var normalized: String { "\(localPart)@\(domain)" }
    /// The whole address lowercased: the key for uniqueness checks and
    /// lookups (store it in a unique column).
    public let canonical: String

    public static let maximumLength = 254
    public static let maximumLocalPartLength = 64
    public static let maximumLabelLength = 63

    /// Characters allowed in the local part besides ASCII letters and digits:
    /// RFC 5322 `atext`. This excludes whitespace, control characters, `"`,
    /// `<>`, `,`, `;`, `\`, `()`, `[]`, `:` and `@`. The apostrophe stays
    /// (o'brien@example.ie is a real address).
    static let localPartSymbols: Set<UInt8> = Set("!#$%&'*+-/=?^_`{|}~.".utf8)

    /// Parses `raw`: trims surrounding ASCII whitespace, checks the syntax
    /// and lowercases the domain. Returns `nil` when it is not an address.
    public init?(_ raw: String) {
        let trimmed = Self.trimmingASCIIWhitespace(raw)
        guard !trimmed.isEmpty, trimmed.utf8.count <= Self.maximumLength else { return nil }
        // Work on UTF-8 bytes: every allowed character is ASCII, and bytes
        // cannot hide an "@" inside a grapheme cluster ("@" + combining mark).
        let parts = Array(trimmed.utf8).split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let local = parts[0]
        let domainBytes = parts[1]

        // Local part: ASCII only. RFC 6531 allows UTF-8 here, but few mail
        // servers accept it, and look-alike letters (Cyrillic "а" for "a")
        // and Unicode normalisation forms would defeat the uniqueness check.
        // Dots separate non-empty atoms: none leading, trailing or doubled.
        guard (1...Self.maximumLocalPartLength).contains(local.count),
              local.allSatisfy({ Self.isASCIIAlphanumeric($0) || Self.localPartSymbols.contains($0) }),
              !local.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).contains(where: \.isEmpty)
        else { return nil }

        // Domain: checked byte by byte *before* lowercasing. Non-ASCII
        // (internationalised) domains are refused unless already in punycode
        // (`xn--…`, which passes as plain ASCII): we ship no IDNA mapping, and
        // lowercasing first would let e.g. the Kelvin sign "K" (U+212A) turn
        // into an ASCII "k".
        let labels = domainBytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2,
              labels.allSatisfy({ Self.isValidLabel($0) }),
              let topLevel = labels.last, !topLevel.allSatisfy(Self.isASCIIDigit) else { return nil }

        self.localPart = String(decoding: local, as: UTF8.self)
        self.domain = String(decoding: domainBytes, as: UTF8.self).lowercased()
        self.canonical = "\(localPart)@\(domain)".lowercased()
    }

    /// A DNS label: 1…63 of `[A-Za-z0-9-]` (case is folded later), not
    /// starting or ending with `-`.
    static func isValidLabel(_ label: some BidirectionalCollection<UInt8>) -> Bool {
        (1...maximumLabelLength).contains(label.count)
            && label.allSatisfy { isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") }
            && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
    }

    /// Trims space, tab, LF, VT, FF and CR. Works on scalars, not
    /// `Character`s, because "\r\n" is a single `Character` equal to neither
    /// "\r" nor "\n", so a pasted line end would otherwise survive.
    static func trimmingASCIIWhitespace(_ text: String) -> String {
        let scalars = text.unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || ("\t"..."\r").contains($0) }
        guard let start = scalars.firstIndex(where: { !isSpace($0) }),
              let end = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[start...end])
    }

    static func isASCIIDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        isASCIIDigit(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    public static func == (lhs: EmailAddress, rhs: EmailAddress) -> Bool {
        lhs.canonical == rhs.canonical
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonical)
    }
}
