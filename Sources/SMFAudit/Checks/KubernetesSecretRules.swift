/// Secrets are referenced, never inlined: no Secret object with data, no
/// literal secret in a container's env or in a ConfigMap. Values are never
/// put into the evidence, only names and lines.
enum KubernetesSecretRules {
    static let keys = ["secrets.env-review", "mistake.hardcoded-secrets"]

    static func findings(_ workloads: [KubernetesWorkload], _ manifests: KubernetesManifests) -> [Finding] {
        var findings: [Finding] = []
        for secret in manifests.objects(of: ["Secret"]) {
            for field in ["data", "stringData"] {
                guard let node = secret.root[field], !node.isEmptyCollection else { continue }
                let names = node.entries.map(\.key)
                findings += Finding.each(keys) {
                    .fail($0, .high, secret.evidence(line: node.line, "\(field) inlines \(names.count) value(s) (\(names.joined(separator: ", "))) in the manifests"),
                          fix: "Do not commit Secret values: create the Secret from a secret manager (ExternalSecret, sealed-secrets, SOPS) and only reference it (secretKeyRef, secret volumes).")
                }
            }
        }
        for workload in workloads {
            for container in workload.containers {
                for variable in container.node["env"]?.items ?? [] {
                    guard let name = variable["name"]?.string, let valueNode = variable["value"], let value = valueNode.string, !value.isEmpty else { continue }
                    if let reason = secretReason(name: name, value: value) {
                        findings += Finding.each(keys) {
                            .fail($0, .high, workload.evidence(container, line: valueNode.line, "env \(name) is a literal \(reason) in the manifests"),
                                  fix: "Read it from a Secret: valueFrom.secretKeyRef, or a secret volume and NAME_FILE.")
                        }
                    }
                }
            }
        }
        for configMap in manifests.objects(of: ["ConfigMap"]) {
            for entry in configMap.root["data"]?.entries ?? [] {
                guard let value = entry.value.string, !value.isEmpty, let reason = secretReason(name: entry.key, value: value) else { continue }
                findings += Finding.each(keys) {
                    .fail($0, .high, configMap.evidence(line: entry.value.line, "data \(entry.key) is a literal \(reason) in a ConfigMap"),
                          fix: "Move it into a Secret created outside the manifests and reference it.")
                }
            }
        }
        if !findings.contains(where: { keys.contains($0.key) }) {
            let secrets = manifests.objects(of: ["ExternalSecret", "SealedSecret"]).count
            let detail = "no Secret with data, no literal secret in env or ConfigMaps" + (secrets > 0 ? " (\(secrets) ExternalSecret/SealedSecret reference(s))" : "")
            findings += Finding.each(keys) { .pass($0, Evidence(file: manifests.files.first, detail: detail)) }
        }
        return findings
    }

    /// Why `value` of `name` counts as a secret, or nil.
    static func secretReason(name: String, value: String) -> String? {
        if SecretPatterns.isSecretName(name), !SecretPatterns.isPlaceholder(value) { return "secret" }
        if let match = SecretPatterns.looksLikeSecret(value) { return match.kind }
        return nil
    }
}

/// `db.backups`: a CloudNativePG Cluster with an object store for WAL and
/// base backups, and a ScheduledBackup of it. No database in the manifests
/// (an external managed one): not decidable here.
enum KubernetesBackupRules {
    static let key = "db.backups"

    static func findings(_ workloads: [KubernetesWorkload], _ manifests: KubernetesManifests) -> [Finding] {
        var findings: [Finding] = []
        let clusters = manifests.objects(of: ["Cluster"]).filter { $0.apiVersion.hasPrefix("postgresql.cnpg.io/") }
        let schedules = manifests.objects(of: ["ScheduledBackup"]).filter { $0.apiVersion.hasPrefix("postgresql.cnpg.io/") }
        for cluster in clusters {
            let store = objectStore(of: cluster)
            let scheduled = schedules.filter { $0.spec?["cluster", "name"]?.string == cluster.name && $0.effectiveNamespace == cluster.effectiveNamespace }
            switch (store, scheduled.first) {
            case (let store?, let schedule?):
                let when = schedule.spec?["schedule"]?.string ?? "?"
                findings.append(.pass(key, schedule.evidence(line: schedule.spec?["schedule"]?.line, "scheduled base backup (\(when)) of \(cluster.name), WAL archived to \(store)")))
            case (nil, _):
                findings.append(.fail(key, .high, cluster.evidence(line: cluster.spec?.line, "no backup target: neither spec.backup.barmanObjectStore nor a barman-cloud plugin as WAL archiver"),
                                      fix: "Configure backups to object storage (barman-cloud plugin ObjectStore, or spec.backup.barmanObjectStore) and a ScheduledBackup."))
            case (_, nil):
                findings.append(.fail(key, .high, cluster.evidence(line: cluster.spec?.line, "WAL is archived but no ScheduledBackup takes base backups of \(cluster.name)"),
                                      fix: "Add a ScheduledBackup for the cluster (e.g. daily)."))
            }
        }
        if clusters.isEmpty {
            let databases = workloads.filter(KubernetesExposureRules.isDatabase)
            if let database = databases.first {
                findings.append(.warn(key, .medium, database.evidence(nil, line: nil, "a database runs as a plain workload: no backup is visible in the manifests"),
                                      fix: "Use an operator with scheduled backups (CloudNativePG) or a CronJob that dumps to object storage, and test restores."))
            } else {
                findings.append(.notApplicable(key, "no database in the Kubernetes manifests (an external managed database?): check its provider's backup settings"))
            }
        }
        return findings
    }

    /// Where the cluster archives WAL, or nil.
    static func objectStore(of cluster: KubernetesManifests.Object) -> String? {
        if let path = cluster.spec?["backup", "barmanObjectStore", "destinationPath"]?.string { return path }
        for plugin in cluster.spec?["plugins"]?.items ?? [] where plugin["isWALArchiver"]?.bool == true {
            return "ObjectStore \(plugin["parameters", "barmanObjectName"]?.string ?? plugin["name"]?.string ?? "?")"
        }
        return nil
    }
}
