/// A configuration value that must never be printed.
///
/// `description` and `debugDescription` are redacted, so interpolating a
/// `SecretValue` into a log line or an error by mistake leaks nothing. Code
/// that needs the value asks for it by name: `secret.reveal()`.
public struct SecretValue: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String

    public init(_ value: String) {
        self.value = value
    }

    /// The secret itself. Call sites are easy to grep for.
    public func reveal() -> String { value }

    public var isEmpty: Bool { value.isEmpty }

    /// `****` followed by at most the last 4 characters, and only when the
    /// secret is long enough (≥ 16 characters) for 4 characters to give away
    /// little; shorter secrets are shown as `****` alone.
    public var redacted: String {
        value.count >= 16 ? "****" + value.suffix(4) : "****"
    }

    public var description: String { "****" }
    public var debugDescription: String { "SecretValue(****)" }

    /// Constant-time equality: the time taken depends only on the lengths.
    public static func == (lhs: SecretValue, rhs: SecretValue) -> Bool {
        ConstantTime.equals(Array(lhs.value.utf8), Array(rhs.value.utf8))
    }
}
