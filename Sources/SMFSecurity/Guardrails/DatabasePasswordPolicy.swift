/// The seed checklist's database password rule (`db.strong-password`,
/// `secrets.default-db-credentials`, `mistake.default-passwords`): at least
/// 16 characters with upper case, lower case, a digit and a symbol, and not a
/// well-known default.
public enum DatabasePasswordPolicy {
    public static let minimumLength = 16

    /// Passwords shipped in images, tutorials and compose examples.
    public static let defaultPasswords: Set<String> = [
        "postgres", "password", "admin", "root", "changeme", "secret", "123456", "12345678",
        "123456789", "qwerty", "letmein", "pass", "passw0rd", "password1", "password123",
        "example", "test", "default", "mysecretpassword", "postgrespassword", "smflow",
        "socialmediaflow", "welcome", "toor", "pgpass", "dbpassword", "db_password",
    ]

    /// Every way `password` fails the policy.
    /// - Parameters:
    ///   - user: the database user; a password equal to it is a default.
    ///   - database: the database name; likewise.
    ///   - variable: the variable the password came from, for the messages.
    public static func problems(password: String?, user: String?, database: String?, variable: String) -> [PolicyProblem] {
        guard let password, !password.isEmpty else {
            return [PolicyProblem(
                rule: "db-password.missing",
                message: "\(variable) has no database password; set a strong one (16+ characters with upper, lower, digit and symbol)")]
        }
        var problems: [PolicyProblem] = []
        let lowered = password.lowercased()
        let sameAsName = [user, database].compactMap { $0?.lowercased() }.contains(lowered)
        if defaultPasswords.contains(lowered) || sameAsName
            || SecretKeyPolicy.placeholderFragments.contains(where: { lowered.contains($0) }) {
            problems.append(PolicyProblem(
                rule: "db-password.default",
                message: "\(variable) uses a default or placeholder database password; change it on the server and here"))
        }
        var missing: [String] = []
        if password.count < minimumLength { missing.append("at least \(minimumLength) characters") }
        if !password.contains(where: { $0.isUppercase }) { missing.append("an upper-case letter") }
        if !password.contains(where: { $0.isLowercase }) { missing.append("a lower-case letter") }
        if !password.contains(where: { $0.isNumber }) { missing.append("a digit") }
        if !password.contains(where: { !$0.isLetter && !$0.isNumber && !$0.isWhitespace }) { missing.append("a symbol") }
        if !missing.isEmpty {
            problems.append(PolicyProblem(
                rule: "db-password.weak",
                message: "\(variable) has a weak database password: it needs \(missing.joined(separator: ", "))"))
        }
        return problems
    }
}
