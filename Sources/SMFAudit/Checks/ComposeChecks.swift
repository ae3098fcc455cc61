/// Docker Compose files (`--compose`): exposure, isolation, privileges,
/// limits, health and literal secrets, service by service.
struct ComposeChecks: AuditCheck {
    let name = "compose"
    let input = AuditInput.compose
    let keys: Set<String> = [
        "db.not-exposed", "network.only-proxy-exposed", "mistake.exposed-internal-services", "network.internal",
        "container.non-root", "mistake.root-containers", "container.resource-limits", "container.healthchecks",
        "health.availability", "db.backups", "mistake.outdated-dependencies", "secrets.env-review",
        "secrets.default-db-credentials", "db.strong-password", "mistake.default-passwords", "mistake.hardcoded-secrets",
    ]

    func run(in context: AuditContext) -> [Finding] {
        context.composeFiles.flatMap { file in
            ComposeExposureRules.findings(file) + ComposeNetworkRules.findings(file) + ComposePrivilegeRules.findings(file)
                + ComposeOperationRules.findings(file) + ComposeSecretRules.findings(file)
        }
    }
}

extension ComposeFile {
    func evidence(_ service: Service, line: Int?, _ detail: String) -> Evidence {
        Evidence(file: path, line: line ?? service.line, detail: "\(service.name): \(detail)")
    }
}

/// Published ports, host namespaces, the Docker socket.
enum ComposeExposureRules {
    static func findings(_ file: ComposeFile) -> [Finding] {
        var findings: [Finding] = []
        let exposureKeys = ["network.only-proxy-exposed", "mistake.exposed-internal-services"]
        for service in file.services {
            let isDatabase = ComposeServiceRoles.isDatabase(service)
            let isProxy = ComposeServiceRoles.isProxy(service)
            for port in service.ports {
                let loopback = ComposeServiceRoles.isLoopback(ComposeServiceRoles.hostAddress(of: port.value))
                let evidence = file.evidence(service, line: port.line, "publishes \(port.value)")
                if isProxy { continue }
                if loopback {
                    findings += Finding.each(exposureKeys + (isDatabase ? ["db.not-exposed"] : [])) {
                        .warn($0, .low, evidence.with(detail: evidence.detail + " on loopback only"), fix: "Prefer no published port at all: reach it through the internal network (or `docker compose exec`).")
                    }
                } else {
                    findings += Finding.each(exposureKeys + (isDatabase ? ["db.not-exposed"] : [])) {
                        .fail($0, isDatabase ? .critical : .high, evidence, fix: isDatabase
                              ? "Remove `ports:` from the database: only the app reaches it, over the internal network."
                              : "Remove `ports:` (use `expose:`); only the reverse proxy publishes ports.")
                    }
                }
            }
            if isDatabase && service.ports.isEmpty {
                findings.append(.pass("db.not-exposed", file.evidence(service, line: nil, "database without published ports")))
            }
            if let mode = service.networkMode, mode.value == "host" {
                findings += Finding.each(exposureKeys) { .fail($0, .high, file.evidence(service, line: mode.line, "network_mode: host bypasses Docker's network isolation and port publishing"), fix: "Remove network_mode: host; publish only the proxy's ports.") }
            }
            for (label, setting) in [("pid", service.pid), ("ipc", service.ipc)] {
                if let setting, setting.value == "host" {
                    findings.append(.fail("mistake.exposed-internal-services", .high, file.evidence(service, line: setting.line, "\(label): host shares the host's \(label) namespace"), fix: "Remove \(label): host."))
                }
            }
            for volume in service.volumes where volume.value.contains("docker.sock") {
                findings.append(.fail("mistake.exposed-internal-services", .critical, file.evidence(service, line: volume.line, "mounts the Docker socket (root on the host)"), fix: "Do not mount /var/run/docker.sock; use a socket proxy with a read-only allow-list if it is really needed."))
            }
        }
        if !findings.contains(where: { exposureKeys.contains($0.key) }) {
            let proxies = file.services.filter { ComposeServiceRoles.isProxy($0) && !$0.ports.isEmpty }.map(\.name)
            let detail = proxies.isEmpty ? "no service publishes ports" : "only the proxy publishes ports (\(proxies.joined(separator: ", ")))"
            findings += Finding.each(exposureKeys) { .pass($0, Evidence(file: file.path, detail: detail)) }
        }
        if !file.services.contains(where: ComposeServiceRoles.isDatabase) {
            findings.append(.pass("db.not-exposed", Evidence(file: file.path, detail: "no database service in this file")))
        }
        return findings
    }
}

/// An internal network (no route out) for the app and the database.
enum ComposeNetworkRules {
    static let key = "network.internal"

    static func findings(_ file: ComposeFile) -> [Finding] {
        let internalNetworks = file.networks.filter(\.isInternal)
        guard !internalNetworks.isEmpty else {
            return [.warn(key, .medium, Evidence(file: file.path, detail: "no network with `internal: true`: every service can reach the internet and each other on the default network"),
                          fix: "Add an `internal: true` network for the app and the database; give only the proxy a second, external network.")]
        }
        let names = Set(internalNetworks.map(\.name))
        var findings: [Finding] = []
        for service in file.services where ComposeServiceRoles.isDatabase(service) && names.isDisjoint(with: service.networks) {
            findings.append(.warn(key, .medium, file.evidence(service, line: nil, "database is not on an internal network"), fix: "Attach the database only to the internal network."))
        }
        if findings.isEmpty {
            findings.append(.pass(key, Evidence(file: file.path, line: internalNetworks[0].line, detail: "internal network(s): \(names.sorted().joined(separator: ", "))")))
        }
        return findings
    }
}

/// User, privileged mode, capabilities, no-new-privileges, read-only root.
enum ComposePrivilegeRules {
    static func findings(_ file: ComposeFile) -> [Finding] {
        var findings: [Finding] = []
        for service in file.services {
            let rootKeys = ["container.non-root", "mistake.root-containers"]
            if let user = service.user {
                let name = user.value.split(separator: ":").first.map(String.init) ?? ""
                if name == "root" || name == "0" {
                    findings += Finding.each(rootKeys) { .fail($0, .high, file.evidence(service, line: user.line, "user: \(user.value) runs as root"), fix: "Set `user:` to an unprivileged uid:gid.") }
                } else {
                    findings += Finding.each(rootKeys) { .pass($0, file.evidence(service, line: user.line, "user: \(user.value)")) }
                }
            } else {
                findings += Finding.each(rootKeys) { .warn($0, .medium, file.evidence(service, line: nil, "no `user:`: runs as whatever the image says (often root)"), fix: "Set `user: \"UID:GID\"` explicitly.") }
            }
            let key = "mistake.root-containers"
            var hardened = true
            func weak(_ severity: AuditSeverity, _ line: Int?, _ detail: String, _ fix: String, fail: Bool = false) {
                hardened = false
                let evidence = file.evidence(service, line: line, detail)
                findings.append(fail ? .fail(key, severity, evidence, fix: fix) : .warn(key, severity, evidence, fix: fix))
            }
            if let privileged = service.privileged, privileged.value {
                weak(.critical, privileged.line, "privileged: true gives the container root on the host", "Remove privileged: true; add the one capability needed, if any.", fail: true)
            }
            if !service.capDrop.contains("ALL") {
                weak(.low, nil, "capabilities are not dropped (cap_drop: [ALL])", "Add `cap_drop: [ALL]` and `cap_add` only what is needed.")
            }
            for capability in service.capAdd where ["SYS_ADMIN", "ALL", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE"].contains(capability.value.uppercased()) {
                weak(.high, capability.line, "cap_add: \(capability.value)", "Remove powerful capabilities.", fail: true)
            }
            if !service.securityOpt.contains(where: { $0.replacingOccurrences(of: "=", with: ":").hasPrefix("no-new-privileges") && !$0.hasSuffix("false") }) {
                weak(.low, nil, "no `security_opt: [no-new-privileges:true]`", "Add `security_opt: [\"no-new-privileges:true\"]`.")
            }
            if service.readOnly?.value != true {
                weak(.low, service.readOnly?.line, "root file system is writable (read_only not set)", "Set `read_only: true` with tmpfs mounts where the service writes.")
            }
            if hardened {
                findings.append(.pass(key, file.evidence(service, line: nil, "cap_drop ALL, no-new-privileges, read-only root, not privileged")))
            }
        }
        return findings
    }
}
