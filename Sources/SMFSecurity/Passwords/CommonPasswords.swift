import Foundation

/// The most common passwords from leaked-password corpora, which OWASP ASVS
/// 5.0 and NIST SP 800-63B require us to refuse: attackers try them first.
///
/// The list is `Resources/common-passwords.txt` (one lowercase password a
/// line, most frequent first; source and licence in THIRD_PARTY_NOTICES.md).
public enum CommonPasswords {
    /// A shipped list shorter than this is truncated or a placeholder, not
    /// the real list. The real one has 30,000 entries.
    static let minimumExpectedCount = 10_000

    /// The list, loaded on first use; `nil` when it could not be loaded.
    /// A `static let` is initialised exactly once, under a lock the runtime
    /// provides, so concurrent first calls are safe.
    static let entries: Set<String>? = load()

    /// Whether the list was loaded. The server should check this at startup
    /// and refuse to start when it is false: see `contains(_:)`.
    public static var isLoaded: Bool { entries != nil }

    /// Number of passwords in the list (0 when it could not be loaded).
    public static var count: Int { entries?.count ?? 0 }

    /// Whether `password`, compared case-insensitively, is in the list.
    ///
    /// If the list could not be loaded this returns `true` for every
    /// password: a missing resource is a packaging error, and we fail closed
    /// (no one can set a password, which is noticed at once) rather than
    /// crash every request (`fatalError`) or silently accept `123456` and
    /// friends (which nobody would notice).
    public static func contains(_ password: String) -> Bool {
        guard let entries else { return true }
        return entries.contains(password.lowercased())
    }

    /// Reads the bundled list. Returns `nil` (fail closed) when the file is
    /// missing, unreadable or implausibly short.
    ///
    /// Note: if the whole resource bundle (`smflow_SMFSecurity.resources`)
    /// is missing next to the executable, SwiftPM's generated `Bundle.module`
    /// itself stops the process with `fatalError`; deployments must copy it.
    static func load() -> Set<String>? {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return parse(text)
    }

    /// One password a line. Blank lines are skipped and CRLF line ends (from
    /// a Windows checkout) are handled; entries are lowercased in case the
    /// file is ever edited by hand, since `contains` compares lowercased.
    static func parse(_ text: String) -> Set<String>? {
        var parsed = Set<String>(minimumCapacity: 32_768)
        for line in text.split(whereSeparator: \.isNewline) {
            parsed.insert(line.lowercased())
        }
        return parsed.count >= minimumExpectedCount ? parsed : nil
    }
}
