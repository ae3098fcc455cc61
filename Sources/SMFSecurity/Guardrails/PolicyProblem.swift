/// One way a value breaks a security rule.
///
/// `rule` is a stable identifier (tests and `smflow audit` key on it);
/// `message` says what is wrong and how to fix it, and never contains the
/// offending value, which may be a secret.
public struct PolicyProblem: Sendable, Equatable, CustomStringConvertible {
    public let rule: String
    public let message: String

    public init(rule: String, message: String) {
        self.rule = rule
        self.message = message
    }

    public var description: String { message }
}
