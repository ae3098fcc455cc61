/// The connecting role's privileges (`db.least-privilege`), the password
/// hashing (`secrets.default-db-credentials`) and TLS to a non-private host
/// (`mistake.unencrypted-communication`), from what any role may read:
/// pg_roles, has_schema_privilege, pg_tables, password_encryption, pg_stat_ssl.
enum DatabaseRoleRules {
    static let keys: Set<String> = ["db.least-privilege", "secrets.default-db-credentials", "mistake.unencrypted-communication"]

    static let sql = """
        SELECT r.rolname, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls,
          COALESCE((SELECT has_schema_privilege(n.oid, 'CREATE')::text FROM pg_namespace n WHERE n.nspname = 'public'), 'none'),
          (SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tableowner = current_user),
          (SELECT string_agg(tablename, ',' ORDER BY tablename) FROM (SELECT tablename FROM pg_tables
             WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tableowner = current_user LIMIT 5) owned),
          current_setting('password_encryption'),
          COALESCE((SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()), 'unknown')
        FROM pg_roles r WHERE r.rolname = current_user
        """

    /// The facts of one row of `sql`.
    struct Role: Sendable, Equatable {
        var name: String
        var superuser = false, createDB = false, createRole = false, replication = false, bypassRLS = false
        /// nil when there is no public schema.
        var createInPublic: Bool?
        var ownedTables = 0
        var ownedSample = ""
        var passwordEncryption = "scram-sha-256"
        /// nil when pg_stat_ssl did not say.
        var ssl: Bool?

        init(name: String) { self.name = name }

        init?(row: [String]) {
            guard row.count >= 11 else { return nil }
            func flag(_ text: String) -> Bool { text == "t" || text == "true" }
            name = row[0]
            (superuser, createDB, createRole, replication, bypassRLS) = (flag(row[1]), flag(row[2]), flag(row[3]), flag(row[4]), flag(row[5]))
            createInPublic = row[6] == "none" ? nil : flag(row[6])
            ownedTables = Int(row[7]) ?? 0
            ownedSample = row[8]
            passwordEncryption = row[9]
            ssl = row[10] == "unknown" ? nil : flag(row[10])
        }
    }

    static func findings(_ role: Role, connection: String, privateNetwork: Bool) -> [Finding] {
        var findings: [Finding] = []
        let least = "Connect the application as a role with only CONNECT, USAGE and SELECT/INSERT/UPDATE/DELETE (deploy/postgres/initdb/10-smflow-roles.sh); run migrations as a separate owner role."
        if role.superuser {
            findings.append(.fail("db.least-privilege", .critical, Evidence(detail: "\(connection): role \(role.name) is a superuser"), fix: least))
            findings.append(.fail("secrets.default-db-credentials", .high, Evidence(detail: "\(connection): the application connects as superuser \(role.name)"), fix: least))
        }
        let attributes = [("CREATEDB", role.createDB), ("CREATEROLE", role.createRole), ("REPLICATION", role.replication), ("BYPASSRLS", role.bypassRLS)]
            .filter(\.1).map(\.0)
        if !attributes.isEmpty {
            findings.append(.fail("db.least-privilege", .high, Evidence(detail: "\(connection): role \(role.name) has \(attributes.joined(separator: ", "))"),
                                  fix: "ALTER ROLE \(role.name) NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;"))
        }
        if role.ownedTables > 0 {
            findings.append(.fail("db.least-privilege", .medium,
                                  Evidence(detail: "\(connection): role \(role.name) owns \(role.ownedTables) table(s) (\(role.ownedSample)): it can ALTER, DROP and TRUNCATE them"),
                                  fix: least))
        }
        if role.createInPublic == true {
            findings.append(.fail("db.least-privilege", .medium, Evidence(detail: "\(connection): role \(role.name) may CREATE in schema public"),
                                  fix: "REVOKE CREATE ON SCHEMA public FROM PUBLIC, \(role.name); (PostgreSQL < 15 grants it to everyone)."))
        }
        if !findings.contains(where: { $0.key == "db.least-privilege" }) {
            findings.append(.pass("db.least-privilege", Evidence(detail: "\(connection): role \(role.name) is not superuser, has no CREATEDB/CREATEROLE/REPLICATION/BYPASSRLS, owns no tables, cannot CREATE in public")))
        }

        if role.name == "postgres" && !role.superuser {
            findings.append(.fail("secrets.default-db-credentials", .high, Evidence(detail: "\(connection): the default user name postgres"), fix: least))
        }
        if role.passwordEncryption.lowercased() == "scram-sha-256" {
            findings.append(.pass("secrets.default-db-credentials", Evidence(detail: "\(connection): password_encryption = scram-sha-256")))
        } else {
            findings.append(.warn("secrets.default-db-credentials", .medium, Evidence(detail: "\(connection): password_encryption = \(role.passwordEncryption)"),
                                  fix: "Set password_encryption = scram-sha-256, re-set the roles' passwords, and use scram-sha-256 in pg_hba.conf."))
        }

        switch (privateNetwork, role.ssl) {
        case (_, true?):
            findings.append(.pass("mistake.unencrypted-communication", Evidence(detail: "\(connection): the connection uses SSL")))
        case (true, _):
            findings.append(.pass("mistake.unencrypted-communication", Evidence(detail: "\(connection): no SSL, but the server is on loopback/a private network")))
        case (false, false?):
            findings.append(.fail("mistake.unencrypted-communication", .high, Evidence(detail: "\(connection): no SSL to a server on a public address"),
                                  fix: "Enable ssl on the server and connect with ?sslmode=verify-full."))
        case (false, nil):
            findings.append(.warn("mistake.unencrypted-communication", .medium, Evidence(detail: "\(connection): pg_stat_ssl did not say whether SSL is used"),
                                  fix: "Connect with ?sslmode=verify-full."))
        }
        return findings
    }
}
