/// A PostgreSQL connection (`--database-url`), through `psql` (read-only
/// queries): the role's privileges, password hashing, SSL; and, on the
/// product's database, security events and API keys.
struct DatabaseChecks: AuditCheck {
    let name = "database"
    let input = AuditInput.database
    let keys: Set<String> = DatabaseRoleRules.keys.union(DatabaseAppRules.keys).union(DatabaseBackupRules.keys)

    func run(in context: AuditContext) -> [Finding] {
        guard let url = context.request.databaseURL else { return [] }
        guard let psql = Subprocess.find("psql") else { return notApplicable(keys, "needs psql on PATH") }
        guard let connection = PostgresConnection(url: url, psql: psql, timeout: context.request.timeoutSeconds) else {
            return notApplicable(keys, "--database-url is not a postgres:// URL with a user")
        }
        var findings: [Finding] = []
        switch connection.query(DatabaseRoleRules.sql) {
        case .success(let rows):
            if let role = rows.first.flatMap(DatabaseRoleRules.Role.init(row:)) {
                findings += DatabaseRoleRules.findings(role, connection: connection.label, privateNetwork: connection.isLocalOrPrivate)
            } else {
                findings += notApplicable(DatabaseRoleRules.keys, "\(connection.label): the role's attributes could not be read")
            }
        case .failure(.failed(let message)):
            return notApplicable(keys, "\(connection.label): cannot query: \(message)")
        }
        findings += appFindings(connection)
        findings += backupFindings(connection)
        return findings
    }

    /// `db.backups`: the age of the last recorded `smflow backup`.
    private func backupFindings(_ connection: PostgresConnection) -> [Finding] {
        guard case .success(let table) = connection.query(DatabaseBackupRules.tableSQL), let present = table.first?.first else {
            return notApplicable(DatabaseBackupRules.keys, "\(connection.label): backup_runs could not be looked up")
        }
        guard present == "t" else { return DatabaseBackupRules.findings(.init(tablePresent: false), connection: connection.label) }
        guard case .success(let rows) = connection.query(DatabaseBackupRules.lastSQL), let row = rows.first, row.count == 3,
              let last = Int64(row[0]), let count = Int(row[1]), let now = Int64(row[2]) else {
            return notApplicable(DatabaseBackupRules.keys, "\(connection.label): backup_runs could not be read (SELECT privilege?)")
        }
        return DatabaseBackupRules.findings(.init(tablePresent: true, lastMilliseconds: last, count: count, nowMilliseconds: now), connection: connection.label)
    }

    private func appFindings(_ connection: PostgresConnection) -> [Finding] {
        guard case .success(let tables) = connection.query(DatabaseAppRules.tablesSQL), tables.first?.first == "t" else {
            return notApplicable(DatabaseAppRules.keys, "\(connection.label): not an smflow database (no security_events/api_keys tables)")
        }
        guard case .success(let events) = connection.query(DatabaseAppRules.eventsSQL), let e = events.first, e.count == 4,
              case .success(let apiKeys) = connection.query(DatabaseAppRules.keysSQL), let k = apiKeys.first, k.count == 3 else {
            return notApplicable(DatabaseAppRules.keys, "\(connection.label): security_events/api_keys could not be read (SELECT privilege?)")
        }
        let number = { (text: String) in Int(text) ?? 0 }
        let counts = DatabaseAppRules.Counts(failedLogins: number(e[0]), rateLimited: number(e[1]), anomalies: number(e[2]), events: number(e[3]),
                                             oldKeys: number(k[0]), testKeys: number(k[1]), activeKeys: number(k[2]))
        return DatabaseAppRules.findings(counts, connection: connection.label)
    }

    private func notApplicable(_ keys: Set<String>, _ reason: String) -> [Finding] {
        keys.sorted().map { Finding.notApplicable($0, reason) }
    }
}
