import SMFSecurity

/// Resource limits, health checks, restart policies, backups, image pinning.
enum ComposeOperationRules {
    static func findings(_ file: ComposeFile) -> [Finding] {
        var findings: [Finding] = []
        for service in file.services {
            // Limits: memory and CPU bound a runaway or attacked service; pids stops fork bombs.
            var missing: [String] = []
            if service.memoryLimit == nil { missing.append("memory") }
            if service.cpuLimit == nil { missing.append("cpus") }
            if missing.isEmpty {
                let pids = service.pidsLimit.map { ", pids \($0)" } ?? " (no pids limit)"
                findings.append(.pass("container.resource-limits", file.evidence(service, line: nil, "limits: memory \(service.memoryLimit ?? ""), cpus \(service.cpuLimit ?? "")\(pids)")))
            } else {
                findings.append(.warn("container.resource-limits", .medium, file.evidence(service, line: nil, "no \(missing.joined(separator: "/")) limit"),
                                      fix: "Set deploy.resources.limits (memory, cpus, pids) for every service."))
            }

            let healthKeys = ["container.healthchecks", "health.availability"]
            switch service.healthcheck?.value {
            case .test?:
                findings += Finding.each(healthKeys) { .pass($0, file.evidence(service, line: service.healthcheck?.line, "healthcheck defined")) }
            case .disabled? where ComposeServiceRoles.isOneShot(service):
                findings += Finding.each(healthKeys) { .pass($0, file.evidence(service, line: service.healthcheck?.line, "one-shot job (restart: \(service.restart ?? "")); health check disabled on purpose")) }
            case .disabled?:
                findings += Finding.each(healthKeys) { .warn($0, .medium, file.evidence(service, line: service.healthcheck?.line, "healthcheck disabled on a long-running service"), fix: "Define a health check so Docker and dependants know when it is unhealthy.") }
            case nil:
                findings += Finding.each(healthKeys) { .warn($0, .medium, file.evidence(service, line: nil, "no healthcheck (an image HEALTHCHECK may exist; compose cannot tell)"), fix: "Add a `healthcheck:` (test, interval, timeout, retries).") }
            }
            if service.restart == nil && !ComposeServiceRoles.isOneShot(service) {
                findings.append(.warn("health.availability", .low, file.evidence(service, line: nil, "no restart policy: a crash stops the service for good"), fix: "Set `restart: unless-stopped`."))
            }

            if let image = service.image {
                findings.append(ImagePinningRule.finding(image: image.value, evidence: file.evidence(service, line: image.line, "image \(image.value)")))
            }
        }
        findings += backupFindings(file)
        return findings
    }

    /// A service that makes backups (by name, image or command).
    private static func backupFindings(_ file: ComposeFile) -> [Finding] {
        let key = "db.backups"
        let words = ["backup", "pg_dump", "pgbackrest", "wal-g", "barman", "restic", "borg"]
        let backups = file.services.filter { service in
            let text = (service.name + " " + (service.image?.value ?? "") + " " + service.command).lowercased()
            return words.contains { text.contains($0) }
        }
        guard let backup = backups.first else {
            guard file.services.contains(where: ComposeServiceRoles.isDatabase) else { return [] }
            return [.warn(key, .high, Evidence(file: file.path, detail: "no backup service next to the database"),
                          fix: "Schedule backups (a backup service running pg_dump or pgBackRest, or host cron) and test restores.")]
        }
        if !backup.profiles.isEmpty {
            return [.warn(key, .high, file.evidence(backup, line: nil, "backup service only in profile(s) \(backup.profiles.joined(separator: ", ")): `docker compose up` does not start it"),
                          fix: "Start it explicitly (`--profile \(backup.profiles[0])`) or take it out of the profile once it works; verify the latest backup's age.")]
        }
        // `smflow backup` takes one backup and exits unless --every schedules it (issue 9).
        let command = backup.command.lowercased()
        let isSmflow = (backup.image?.value ?? "").lowercased().contains("smflow") && command.contains("backup")
        if isSmflow && !command.contains("--every") && !command.contains("--schedule") {
            return [.warn(key, .high, file.evidence(backup, line: nil, "`smflow backup` without --every: it takes one backup and exits, nothing schedules the next"),
                          fix: "Run `smflow backup --to /backups --every 24h --keep-daily 7 --keep-weekly 4`, with `smflow backup --check` as its health check.")]
        }
        if isSmflow && command.contains("--every") {
            return [.pass(key, file.evidence(backup, line: nil, "backup service runs `smflow backup` on a schedule (--every); `--database-url` audits the last backup's age"))]
        }
        return [.pass(key, file.evidence(backup, line: nil, "backup service defined (its schedule and restores still need a person's check)"))]
    }
}

/// Literal secrets in `environment:`; default database passwords.
enum ComposeSecretRules {
    static func findings(_ file: ComposeFile) -> [Finding] {
        var findings: [Finding] = []
        for service in file.services {
            for variable in service.environment {
                guard let value = variable.value, !value.isEmpty, !value.contains("${"), !value.hasPrefix("$") else { continue }
                let evidence = file.evidence(service, line: variable.line, "environment \(variable.name)")
                if variable.name.uppercased().contains("PASSWORD") && !variable.name.uppercased().hasSuffix("_FILE") {
                    findings += passwordFindings(value: value, variable: variable.name, service: service, evidence: evidence)
                }
                if SecretPatterns.isSecretName(variable.name) || SecretPatterns.knownToken(in: value) != nil
                    || SecretPatterns.urlPassword(in: value).map({ !SecretPatterns.isPlaceholder($0) }) == true {
                    findings += Finding.each(["secrets.env-review", "mistake.hardcoded-secrets"]) {
                        .fail($0, .high, evidence.with(detail: evidence.detail + " is a literal secret in the compose file"),
                              fix: "Use Docker secrets (`secrets:` + NAME_FILE=/run/secrets/…) or an uncommitted env file; never a literal in compose.")
                    }
                }
            }
        }
        if !findings.contains(where: { $0.key == "secrets.env-review" }) {
            findings += Finding.each(["secrets.env-review", "mistake.hardcoded-secrets"]) {
                .pass($0, Evidence(file: file.path, detail: "no literal secret in any service's environment"))
            }
        }
        return findings
    }

    private static func passwordFindings(value: String, variable: String, service: ComposeFile.Service, evidence: Evidence) -> [Finding] {
        let user = service.environment.first { ["POSTGRES_USER", "MYSQL_USER", "DB_USER"].contains($0.name) }?.value ?? nil
        let problems = DatabasePasswordPolicy.problems(password: value, user: user, database: nil, variable: variable)
        return problems.flatMap { problem in
            EnvProductionRules.keys(forRule: problem.rule).map { Finding.fail($0, problem.rule == "db-password.default" ? .critical : .high, evidence.with(detail: evidence.detail + ": " + problem.message), fix: problem.message) }
        }
    }
}
