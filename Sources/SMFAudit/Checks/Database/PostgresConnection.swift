import Foundation

/// A PostgreSQL URL (`--database-url`) turned into libpq's environment, and
/// queries through `psql`. The password travels in PGPASSWORD, never in the
/// arguments (they show in `ps`); nothing is ever written.
struct PostgresConnection: Sendable {
    let host: String
    let port: Int
    let user: String
    let database: String
    let sslMode: String?
    private let password: String?
    let psql: String
    let timeout: Double

    /// nil when `url` is not a postgres:// or postgresql:// URL with a user.
    init?(url: String, psql: String, timeout: Double) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql", let user = components.user, !user.isEmpty else { return nil }
        let query = components.queryItems ?? []
        // A Unix socket directory may come as ?host=/var/run/postgresql.
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? query.first { $0.name == "host" }?.value ?? "localhost"
        port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        var path = components.path
        if path.hasPrefix("/") { path.removeFirst() }
        database = path.isEmpty ? self.user : (path.removingPercentEncoding ?? path)
        sslMode = query.first { $0.name == "sslmode" }?.value
        self.psql = psql
        self.timeout = timeout
    }

    /// Where the server is: a Unix socket, loopback or a private network
    /// (RFC 1918, RFC 4193, link-local), where TLS is not required.
    var isLocalOrPrivate: Bool {
        let name = host.lowercased()
        if name.hasPrefix("/") || name == "localhost" || name == "::1" || name.hasPrefix("127.") { return true }
        if name.hasPrefix("10.") || name.hasPrefix("192.168.") || name.hasPrefix("169.254.") || name.hasPrefix("fd") || name.hasPrefix("fe80:") { return true }
        let octets = name.split(separator: ".").compactMap { Int($0) }
        if octets.count == 4, octets[0] == 172, (16...31).contains(octets[1]) { return true }
        // A single-label name (compose service "postgres") resolves on the private container network.
        return !name.contains(".") && !name.contains(":")
    }

    var label: String { "\(user)@\(host):\(port)/\(database)" }

    enum QueryError: Error, Sendable {
        case failed(String)
    }

    /// Rows of `sql`, fields split on the unit separator.
    func query(_ sql: String) -> Result<[[String]], QueryError> {
        var environment = ["PGHOST": host, "PGPORT": String(port), "PGUSER": user, "PGDATABASE": database,
                           "PGCONNECT_TIMEOUT": String(max(1, Int(timeout))), "PGAPPNAME": "smflow-audit"]
        if let password { environment["PGPASSWORD"] = password }
        if let sslMode { environment["PGSSLMODE"] = sslMode }
        let arguments = ["-X", "-q", "-A", "-t", "-F", "\u{1F}", "-v", "ON_ERROR_STOP=1", "-c", sql]
        guard let output = Subprocess.run(psql, arguments, environment: environment, timeout: timeout + 5) else {
            return .failure(.failed("psql could not be started"))
        }
        guard output.status == 0, !output.timedOut else {
            let message = output.stderr.split(separator: "\n").first.map(String.init) ?? "exit \(output.status)"
            return .failure(.failed(output.timedOut ? "timed out after \(Int(timeout)) s" : message))
        }
        return .success(output.stdout.split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init) })
    }
}
