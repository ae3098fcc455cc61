/// Rendered Kubernetes manifests (`--kubernetes`): who the pods run as and
/// with which privileges, their limits and probes, network policies,
/// exposure, inlined secrets, TLS, rate limits and headers on the
/// Ingresses, database backups.
struct KubernetesChecks: AuditCheck {
    let name = "kubernetes"
    let input = AuditInput.kubernetes
    let keys: Set<String> = [
        "container.non-root", "mistake.root-containers", "container.resource-limits", "container.healthchecks",
        "health.availability", "network.internal", "network.only-proxy-exposed", "mistake.exposed-internal-services",
        "db.not-exposed", "secrets.env-review", "mistake.hardcoded-secrets", "app.https",
        "mistake.unencrypted-communication", "db.backups", "app.rate-limiting", "mistake.no-rate-limiting",
        "app.security-headers", "mistake.missing-headers",
    ]

    func run(in context: AuditContext) -> [Finding] {
        guard let manifests = context.kubernetes else { return [] }
        let workloads = KubernetesWorkload.all(in: manifests)
        return KubernetesPrivilegeRules.findings(workloads) + KubernetesLimitRules.findings(workloads, manifests)
            + KubernetesProbeRules.findings(workloads) + KubernetesNetworkPolicyRules.findings(workloads, manifests)
            + KubernetesExposureRules.findings(workloads, manifests) + KubernetesTLSRules.findings(manifests)
            + KubernetesSecretRules.findings(workloads, manifests) + KubernetesBackupRules.findings(workloads, manifests)
            + KubernetesIngressRules.findings(manifests)
    }
}

/// Non-root, no privilege, no escalation, capabilities dropped, read-only
/// root, a seccomp profile, no host namespaces: per container.
enum KubernetesPrivilegeRules {
    static let rootKeys = ["container.non-root", "mistake.root-containers"]
    static let dangerousCapabilities: Set<String> = ["ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "NET_RAW", "DAC_READ_SEARCH", "BPF"]

    static func findings(_ workloads: [KubernetesWorkload]) -> [Finding] {
        var findings: [Finding] = []
        for workload in workloads {
            let key = "mistake.root-containers"
            for (field, label) in [("hostPID", "the host's process namespace"), ("hostIPC", "the host's IPC namespace"), ("hostNetwork", "the host's network namespace")] {
                if let node = workload.podSpec[field], node.bool == true {
                    findings.append(.fail(key, .high, workload.evidence(nil, line: node.line, "\(field): true shares \(label)"), fix: "Remove \(field): true."))
                }
            }
            for container in workload.containers {
                findings += user(workload, container)
                var hardened = true
                func weak(_ severity: AuditSeverity, _ line: Int?, _ detail: String, _ fix: String, fail: Bool = false) {
                    hardened = false
                    let evidence = workload.evidence(container, line: line, detail)
                    findings.append(fail ? .fail(key, severity, evidence, fix: fix) : .warn(key, severity, evidence, fix: fix))
                }
                let context = container.securityContext
                if let privileged = context?["privileged"], privileged.bool == true {
                    weak(.critical, privileged.line, "privileged: true gives the container root on the node", "Remove privileged: true; add the one capability needed, if any.", fail: true)
                }
                let escalation = context?["allowPrivilegeEscalation"]
                if escalation?.bool != false {
                    weak(.medium, escalation?.line ?? context?.line, "allowPrivilegeEscalation is not false (setuid binaries can gain privileges)", "Set securityContext.allowPrivilegeEscalation: false.",
                         fail: escalation?.bool == true)
                }
                let capabilities = context?["capabilities"]
                if !(capabilities?["drop"]?.items.contains { $0.string?.uppercased() == "ALL" } ?? false) {
                    weak(.medium, capabilities?.line ?? context?.line, "capabilities are not dropped (capabilities.drop: [ALL])", "Set securityContext.capabilities.drop: [\"ALL\"] and add back only what is needed.")
                }
                for capability in capabilities?["add"]?.items ?? [] {
                    let name = (capability.string ?? "").uppercased().replacingOccurrences(of: "CAP_", with: "")
                    if dangerousCapabilities.contains(name) {
                        weak(.high, capability.line, "capabilities.add: \(name)", "Remove powerful capabilities.", fail: true)
                    }
                }
                let readOnly = context?["readOnlyRootFilesystem"]
                if readOnly?.bool != true {
                    weak(.low, readOnly?.line ?? context?.line, "root file system is writable (readOnlyRootFilesystem not true)", "Set readOnlyRootFilesystem: true with an emptyDir where the process writes (/tmp).")
                }
                let seccomp = workload.effective("seccompProfile", container)?["type"]
                if !["RuntimeDefault", "Localhost"].contains(seccomp?.string ?? "") {
                    weak(.low, seccomp?.line ?? context?.line, "no seccomp profile (seccompProfile.type RuntimeDefault)", "Set securityContext.seccompProfile.type: RuntimeDefault on the pod.")
                }
                if hardened {
                    findings.append(.pass(key, workload.evidence(container, line: context?.line, "not privileged, no privilege escalation, capabilities dropped, read-only root, seccomp \(seccomp?.string ?? "")")))
                }
            }
        }
        return findings
    }

    /// runAsNonRoot / runAsUser of one container (its own, else the pod's).
    static func user(_ workload: KubernetesWorkload, _ container: KubernetesWorkload.Container) -> [Finding] {
        let user = workload.effective("runAsUser", container)
        let nonRoot = workload.effective("runAsNonRoot", container)
        if let user, user.int == 0 {
            return Finding.each(rootKeys) { .fail($0, .high, workload.evidence(container, line: user.line, "runAsUser: 0 runs as root"), fix: "Run as an unprivileged uid (runAsUser: 10001) with runAsNonRoot: true.") }
        }
        if let nonRoot, nonRoot.bool == false {
            return Finding.each(rootKeys) { .fail($0, .high, workload.evidence(container, line: nonRoot.line, "runAsNonRoot: false allows root"), fix: "Set runAsNonRoot: true.") }
        }
        if nonRoot?.bool == true || (user?.int ?? 0) > 0 {
            let detail = [nonRoot?.bool == true ? "runAsNonRoot: true" : nil, user.flatMap(\.string).map { "runAsUser: \($0)" }].compactMap { $0 }.joined(separator: ", ")
            return Finding.each(rootKeys) { .pass($0, workload.evidence(container, line: (nonRoot ?? user)?.line, detail)) }
        }
        return Finding.each(rootKeys) { .fail($0, .high, workload.evidence(container, line: nil, "neither runAsNonRoot: true nor a non-zero runAsUser: runs as whatever the image says (often root)"),
                                               fix: "Set securityContext.runAsNonRoot: true and runAsUser/runAsGroup (10001) on the pod.") }
    }
}

/// CPU and memory requests and limits on every container (and on the
/// CloudNativePG database pods).
enum KubernetesLimitRules {
    static let key = "container.resource-limits"

    static func findings(_ workloads: [KubernetesWorkload], _ manifests: KubernetesManifests) -> [Finding] {
        var findings: [Finding] = []
        for workload in workloads {
            for container in workload.containers {
                let resources = container.node["resources"]
                findings += judge(resources, evidence: { line, detail in workload.evidence(container, line: line, detail) })
            }
        }
        for cluster in manifests.objects(of: ["Cluster"]) where cluster.apiVersion.hasPrefix("postgresql.cnpg.io/") {
            findings += judge(cluster.spec?["resources"], evidence: { line, detail in cluster.evidence(line: line, detail) })
        }
        return findings
    }

    static func judge(_ resources: KubernetesNode?, evidence: (Int?, String) -> Evidence) -> [Finding] {
        let limits = resources?["limits"]
        let missingLimits = ["cpu", "memory"].filter { limits?[$0] == nil }
        if !missingLimits.isEmpty {
            return [.fail(key, .medium, evidence(limits?.line ?? resources?.line, "no \(missingLimits.joined(separator: "/")) limit: one pod can starve the node"),
                          fix: "Set resources.limits.cpu and resources.limits.memory (and requests) on every container.")]
        }
        let requests = resources?["requests"]
        let missingRequests = ["cpu", "memory"].filter { requests?[$0] == nil }
        if !missingRequests.isEmpty {
            return [.warn(key, .low, evidence(resources?.line, "no \(missingRequests.joined(separator: "/")) request (the limit is used, the scheduler packs by it)"),
                          fix: "Set resources.requests.cpu and resources.requests.memory.")]
        }
        let summary = "limits cpu \(limits?["cpu"]?.string ?? "?"), memory \(limits?["memory"]?.string ?? "?")"
        return [.pass(key, evidence(limits?.line, summary))]
    }
}

/// Readiness and liveness probes on the containers of long-running workloads
/// (Jobs run to completion and init containers end: not judged).
enum KubernetesProbeRules {
    static func findings(_ workloads: [KubernetesWorkload]) -> [Finding] {
        var findings: [Finding] = []
        for workload in workloads where workload.isLongRunning {
            for container in workload.containers where !container.isInit {
                let readiness = container.node["readinessProbe"]
                let liveness = container.node["livenessProbe"]
                if readiness == nil {
                    findings += Finding.each(["container.healthchecks", "health.availability"]) {
                        .fail($0, .medium, workload.evidence(container, line: nil, "no readinessProbe: traffic reaches pods that cannot serve it"),
                              fix: "Add a readinessProbe (smflow: httpGet /readyz) and a livenessProbe (/healthz).")
                    }
                } else {
                    findings.append(.pass("health.availability", workload.evidence(container, line: readiness?.line, "readinessProbe")))
                }
                if liveness == nil {
                    findings.append(.fail("container.healthchecks", .medium, workload.evidence(container, line: nil, "no livenessProbe: a hung process is never restarted"),
                                          fix: "Add a livenessProbe (smflow: httpGet /healthz, or exec `smflow worker --check`)."))
                }
                if readiness != nil, liveness != nil {
                    findings.append(.pass("container.healthchecks", workload.evidence(container, line: readiness?.line, "readinessProbe and livenessProbe")))
                }
            }
        }
        return findings
    }
}
