/// A problem with what the caller gave: a file that cannot be read or
/// parsed. The command prints `message` and exits 64 (usage error).
public struct AuditInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
