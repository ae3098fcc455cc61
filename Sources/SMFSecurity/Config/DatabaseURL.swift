import Foundation

/// Where the data lives: the embedded SQLite file (development default) or
/// PostgreSQL (production).
public enum DatabaseLocation: Sendable, Equatable {
    /// A SQLite file path, or `:memory:`.
    case sqlite(path: String)
    case postgres(PostgresURL)

    /// Parses `DATABASE_URL`: `postgres://` / `postgresql://` URLs, or
    /// `sqlite://PATH` (`sqlite:///abs/path`, `sqlite://data/x.sqlite`,
    /// `sqlite://:memory:`).
    public static func parse(_ raw: String) -> DatabaseLocation? {
        let lowered = raw.lowercased()
        if lowered.hasPrefix("sqlite://") {
            let path = String(raw.dropFirst("sqlite://".count))
            return path.isEmpty ? nil : .sqlite(path: path)
        }
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            return PostgresURL(raw).map(DatabaseLocation.postgres)
        }
        return nil
    }
}

/// A parsed PostgreSQL connection URL. The full URL (with its password) is a
/// `SecretValue`; `redacted` is safe to print.
public struct PostgresURL: Sendable, Equatable {
    public let raw: SecretValue
    public let user: String?
    public let password: SecretValue?
    public let host: String
    public let port: Int
    public let database: String?

    init?(_ raw: String) {
        guard let components = URLComponents(string: raw),
              let host = components.host, !host.isEmpty else { return nil }
        if let port = components.port, !(1...65535).contains(port) { return nil }
        self.raw = SecretValue(raw)
        self.user = components.user
        self.password = components.password.map(SecretValue.init)
        self.host = host
        self.port = components.port ?? 5432
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? nil : path
    }

    /// The URL with the password replaced by `****`.
    public var redacted: String {
        let userPart = user.map { password == nil ? "\($0)@" : "\($0):****@" } ?? ""
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(userPart)\(hostPart):\(port)/\(database ?? "")"
    }
}

/// Production rules for `DATABASE_URL` (checklist keys
/// `secrets.default-db-credentials`, `db.strong-password`).
public enum DatabaseURLPolicy {
    /// Superuser names by convention: an application must not connect as one.
    public static let superuserNames: Set<String> = ["postgres", "root", "admin", "rdsadmin", "azure_superuser"]

    public static func productionProblems(_ location: DatabaseLocation?, variable: String = "DATABASE_URL") -> [PolicyProblem] {
        switch location {
        case nil:
            return [PolicyProblem(
                rule: "database.missing",
                message: "\(variable) is not set; production needs PostgreSQL (postgres://USER:PASSWORD@HOST:5432/DB)")]
        case .sqlite:
            return [PolicyProblem(
                rule: "database.sqlite",
                message: "\(variable) points to SQLite, which is for development only; use PostgreSQL in production")]
        case .postgres(let url):
            var problems: [PolicyProblem] = []
            if let user = url.user, superuserNames.contains(user.lowercased()) {
                problems.append(PolicyProblem(
                    rule: "database.superuser",
                    message: "\(variable) connects as '\(user)', a superuser by convention; connect as the application role from deploy/postgres"))
            } else if url.user == nil {
                problems.append(PolicyProblem(
                    rule: "database.no-user",
                    message: "\(variable) names no user; connect as the application role from deploy/postgres"))
            }
            problems += DatabasePasswordPolicy.problems(
                password: url.password?.reveal(), user: url.user, database: url.database, variable: variable)
            return problems
        }
    }
}
