/// `network.internal` for Kubernetes: a default-deny NetworkPolicy (empty
/// pod selector, no rules) in every namespace that runs pods, for ingress
/// and for egress.
enum KubernetesNetworkPolicyRules {
    static let key = "network.internal"

    static func findings(_ workloads: [KubernetesWorkload], _ manifests: KubernetesManifests) -> [Finding] {
        let namespaces = Set(workloads.map(\.object.effectiveNamespace))
        let policies = manifests.objects(of: ["NetworkPolicy"])
        var findings: [Finding] = []
        for namespace in namespaces.sorted() {
            let defaults = policies.filter { $0.effectiveNamespace == namespace && selectsEveryPod($0) }
            let ingress = defaults.first { denies($0, "Ingress") }
            let egress = defaults.first { denies($0, "Egress") }
            switch (ingress, egress) {
            case (let ingress?, let egress?):
                let detail = ingress.name == egress.name ? "default-deny ingress and egress (\(ingress.name))" : "default-deny ingress (\(ingress.name)) and egress (\(egress.name))"
                findings.append(.pass(key, ingress.evidence(detail + " in namespace \(namespace)")))
            case (let ingress?, nil):
                findings.append(.warn(key, .medium, ingress.evidence("namespace \(namespace) denies ingress by default but not egress: any pod may connect anywhere"),
                                      fix: "Add Egress to the default-deny policy's policyTypes and allow only DNS, the database and what each pod needs."))
            case (nil, _):
                let pods = workloads.filter { $0.object.effectiveNamespace == namespace }
                let first = pods.first?.object
                findings.append(.fail(key, .high, Evidence(file: first?.file, line: first?.line,
                                                           detail: "namespace \(namespace) has no default-deny NetworkPolicy (podSelector: {}, policyTypes: [Ingress, Egress], no rules): every pod accepts connections from the whole cluster (\(pods.map(\.object.reference).joined(separator: ", ")))"),
                                      fix: "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress, Egress]` and no rules, then allow each flow explicitly."))
            }
        }
        return findings
    }

    static func selectsEveryPod(_ policy: KubernetesManifests.Object) -> Bool {
        guard let selector = policy.spec?["podSelector"] else { return false }
        return (selector["matchLabels"]?.isEmptyCollection ?? true) && (selector["matchExpressions"]?.isEmptyCollection ?? true)
    }

    /// Whether the policy covers `type` with no rule for it (a rule that lets
    /// something through makes it an allow policy, not a default deny).
    static func denies(_ policy: KubernetesManifests.Object, _ type: String) -> Bool {
        let rules = policy.spec?[type.lowercased()]
        let types = policy.spec?["policyTypes"]?.items.compactMap(\.string)
        // Without policyTypes, a policy is an Ingress policy (plus Egress if it has egress rules).
        let covers = types?.contains(type) ?? (type == "Ingress")
        return covers && (rules?.isEmptyCollection ?? true)
    }
}

/// Only the ingress controller is reachable from outside the cluster: no
/// Service of type LoadBalancer/NodePort (or with externalIPs) for anything
/// else, no hostNetwork/hostPort; never the database.
enum KubernetesExposureRules {
    static let exposureKeys = ["network.only-proxy-exposed", "mistake.exposed-internal-services"]
    static let databasePorts: Set<Int> = [5432, 3306, 6379, 27017, 9042, 26257]
    static let databaseWords = ["postgres", "mysql", "mariadb", "redis", "mongo", "cnpg", "database"]

    static func findings(_ workloads: [KubernetesWorkload], _ manifests: KubernetesManifests) -> [Finding] {
        var findings: [Finding] = []
        let databasePods = workloads.filter(isDatabase)
        for service in manifests.objects(of: ["Service"]) {
            let type = service.spec?["type"]
            let externalIPs = service.spec?["externalIPs"]
            let exposedType = ["LoadBalancer", "NodePort"].contains(type?.string ?? "")
            guard exposedType || !(externalIPs?.isEmptyCollection ?? true) else { continue }
            if isIngressController(service) { continue }
            let database = isDatabaseService(service, databasePods: databasePods)
            let detail = exposedType ? "type: \(type?.string ?? "") exposes it outside the cluster" : "externalIPs expose it outside the cluster"
            let evidence = service.evidence(line: (exposedType ? type : externalIPs)?.line, detail + (database ? " (a database)" : ""))
            findings += Finding.each(exposureKeys + (database ? ["db.not-exposed"] : [])) {
                .fail($0, database ? .critical : .high, evidence, fix: database
                      ? "Make the database Service ClusterIP: only the app reaches it, inside the cluster (NetworkPolicy)."
                      : "Use type: ClusterIP behind the Ingress; only the ingress controller's Service is a LoadBalancer.")
            }
        }
        for workload in workloads {
            if let host = workload.podSpec["hostNetwork"], host.bool == true {
                findings += Finding.each(exposureKeys + (isDatabase(workload) ? ["db.not-exposed"] : [])) {
                    .fail($0, .high, workload.evidence(nil, line: host.line, "hostNetwork: true listens on the node's addresses"), fix: "Remove hostNetwork: true.")
                }
            }
            for container in workload.containers {
                for port in container.node["ports"]?.items ?? [] {
                    if let hostPort = port["hostPort"] {
                        findings += Finding.each(exposureKeys + (isDatabase(workload) ? ["db.not-exposed"] : [])) {
                            .fail($0, .high, workload.evidence(container, line: hostPort.line, "hostPort \(hostPort.string ?? "") publishes the port on the node"), fix: "Remove hostPort; reach the pod through a ClusterIP Service.")
                        }
                    }
                }
            }
        }
        for cluster in manifests.objects(of: ["Cluster"]) where cluster.apiVersion.hasPrefix("postgresql.cnpg.io/") {
            for service in cluster.spec?["managed", "services", "additional"]?.items ?? [] {
                let type = service["serviceTemplate", "spec", "type"]
                if ["LoadBalancer", "NodePort"].contains(type?.string ?? "") {
                    findings += Finding.each(exposureKeys + ["db.not-exposed"]) {
                        .fail($0, .critical, cluster.evidence(line: type?.line, "an additional database Service of type \(type?.string ?? "")"), fix: "Remove the additional LoadBalancer/NodePort service: only the app reaches the database.")
                    }
                }
            }
        }
        if !findings.contains(where: { exposureKeys.contains($0.key) }) {
            let evidence = Evidence(file: manifests.files.first, detail: "no Service of type LoadBalancer/NodePort (or externalIPs), hostNetwork or hostPort besides the ingress controller's")
            findings += Finding.each(exposureKeys) { .pass($0, evidence) }
        }
        if !findings.contains(where: { $0.key == "db.not-exposed" }) {
            let databases = manifests.objects(of: ["Cluster"]).filter { $0.apiVersion.hasPrefix("postgresql.cnpg.io/") }.map(\.reference) + databasePods.map(\.object.reference)
            let evidence = Evidence(file: manifests.files.first, detail: databases.isEmpty ? "no database in these manifests" : "database reachable inside the cluster only (\(databases.joined(separator: ", ")))")
            findings.append(.pass("db.not-exposed", evidence))
        }
        return findings
    }

    static func isIngressController(_ service: KubernetesManifests.Object) -> Bool {
        let selector = service.spec?["selector"]?.stringMap ?? [:]
        let names = [service.labels["app.kubernetes.io/name"], selector["app.kubernetes.io/name"], selector["app"]].compactMap { $0 }
        return service.namespace == "ingress-nginx" || names.contains { $0.contains("ingress-nginx") || $0 == "nginx-ingress" }
    }

    static func isDatabase(_ workload: KubernetesWorkload) -> Bool {
        if workload.podLabels["cnpg.io/cluster"] != nil { return true }
        return workload.containers.contains { container in
            let image = (container.node["image"]?.string ?? "").lowercased()
            let repository = image.split(separator: "/").last.map { String($0.split(separator: ":").first ?? "") } ?? ""
            return ["postgres", "postgresql", "mysql", "mariadb", "redis", "mongo", "mongodb"].contains(repository)
        }
    }

    static func isDatabaseService(_ service: KubernetesManifests.Object, databasePods: [KubernetesWorkload]) -> Bool {
        let selector = service.spec?["selector"]?.stringMap ?? [:]
        if selector["cnpg.io/cluster"] != nil { return true }
        if !selector.isEmpty, databasePods.contains(where: { pod in selector.allSatisfy { pod.podLabels[$0.key] == $0.value } }) { return true }
        let ports = (service.spec?["ports"]?.items ?? []).compactMap { $0["port"]?.int }
        if ports.contains(where: databasePorts.contains) { return true }
        let lowered = service.name.lowercased()
        return databaseWords.contains { lowered.contains($0) }
    }
}

/// TLS on every Ingress host; no HTTP-only entry point.
enum KubernetesTLSRules {
    static let keys = ["app.https", "mistake.unencrypted-communication"]

    static func findings(_ manifests: KubernetesManifests) -> [Finding] {
        var findings: [Finding] = []
        for ingress in manifests.objects(of: ["Ingress"]) {
            let tls = ingress.spec?["tls"]
            let tlsHosts = Set((tls?.items ?? []).flatMap { ($0["hosts"]?.items ?? []).compactMap(\.string) })
            let rules = ingress.spec?["rules"]?.items ?? []
            let hosts = rules.compactMap { $0["host"]?.string }
            if tls?.isEmptyCollection ?? true {
                findings += Finding.each(keys) { .fail($0, .high, ingress.evidence(line: ingress.spec?.line, "no tls: served over plain HTTP"), fix: "Add spec.tls with the host and a certificate Secret (cert-manager: the cluster-issuer annotation).") }
                continue
            }
            let uncovered = hosts.filter { !tlsHosts.contains($0) }
            if hosts.isEmpty || !uncovered.isEmpty {
                let detail = hosts.isEmpty ? "a rule without host is not covered by the TLS certificate" : "hosts without TLS: \(uncovered.joined(separator: ", "))"
                findings += Finding.each(keys) { .fail($0, .high, ingress.evidence(line: tls?.line, detail), fix: "List every rule host under spec.tls[].hosts.") }
                continue
            }
            let redirect = ["nginx.ingress.kubernetes.io/ssl-redirect", "nginx.ingress.kubernetes.io/force-ssl-redirect"].compactMap { ingress.annotations[$0] }
            if redirect.contains("false") && !redirect.contains("true") {
                findings += Finding.each(keys) { .warn($0, .medium, ingress.evidence(line: ingress.metadata?["annotations"]?.line, "ssl-redirect: \"false\": plain HTTP is served as well"), fix: "Remove ssl-redirect: \"false\" (ingress-nginx redirects to HTTPS by default when TLS is set).") }
                continue
            }
            findings += Finding.each(keys) { .pass($0, ingress.evidence(line: tls?.line, "TLS for \(hosts.joined(separator: ", "))\(tls?.items.first?["secretName"]?.string.map { " (secret \($0))" } ?? "")")) }
        }
        return findings
    }
}
