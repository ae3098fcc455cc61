import Foundation
import Testing
@testable import SMFAudit

/// `smflow audit --kubernetes`: the good fixture passes every Kubernetes key;
/// each broken one fails exactly its keys, at the line that breaks them.
/// (scripts/test audits the rendered production overlay the same way.)
@Suite struct KubernetesAuditTests {
    static let keys = KubernetesChecks().keys

    static func audit(_ fixture: String) throws -> AuditReport {
        try AuditTestSupport.audit { $0.kubernetesPaths = [try AuditTestSupport.fixture("kubernetes/\(fixture)")] }
    }

    /// Every Kubernetes key is `pass` except `failing`, which fail, each with
    /// evidence at `line` of the fixture.
    static func expectOnly(_ fixture: String, fail failing: Set<String>, line: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let report = try audit(fixture)
        for key in keys.sorted() {
            let expected: AuditStatus = failing.contains(key) ? .fail : .pass
            #expect(report.status(key) == expected, "\(fixture) \(key): expected \(expected.rawValue), got \(report.status(key)?.rawValue ?? "nothing") — \(report.details(key))", sourceLocation: sourceLocation)
        }
        for key in failing.sorted() {
            let evidence = report.result(key)?.evidence ?? []
            #expect(evidence.contains { $0.line == line && $0.file?.hasSuffix("kubernetes/\(fixture)") == true },
                    "\(fixture) \(key): no evidence at line \(line): \(evidence.map { "\($0.location ?? "-") \($0.detail)" })", sourceLocation: sourceLocation)
        }
    }

    @Test func good_manifests_pass_every_kubernetes_key() throws {
        try Self.expectOnly("good.yaml", fail: [], line: 0)
        let report = try Self.audit("good.yaml")
        #expect(report.details("db.backups").contains("scheduled base backup (0 0 2 * * *) of shop-db"))
        #expect(report.details("network.internal").contains("default-deny ingress and egress (default-deny-all) in namespace shop"))
        #expect(report.result("container.non-root")?.evidence.first?.line == 52, "points at runAsNonRoot")
    }

    @Test func privileged_container_fails_root_containers_only() throws {
        try Self.expectOnly("privileged.yaml", fail: ["mistake.root-containers"], line: 82)
        #expect(try Self.audit("privileged.yaml").details("mistake.root-containers").contains("Deployment shop/web container web: privileged: true"))
    }

    @Test func root_user_fails_non_root() throws {
        try Self.expectOnly("root.yaml", fail: ["container.non-root", "mistake.root-containers"], line: 52)
    }

    @Test func missing_limits_fail_resource_limits() throws {
        try Self.expectOnly("no-limits.yaml", fail: ["container.resource-limits"], line: 64)
        #expect(try Self.audit("no-limits.yaml").details("container.resource-limits").contains("no cpu/memory limit"))
    }

    @Test func missing_probes_fail_health_keys() throws {
        try Self.expectOnly("no-probes.yaml", fail: ["container.healthchecks", "health.availability"], line: 57)
    }

    @Test func loadbalancer_to_the_database_fails_exposure() throws {
        try Self.expectOnly("loadbalancer.yaml", fail: ["network.only-proxy-exposed", "mistake.exposed-internal-services", "db.not-exposed"], line: 41)
        let report = try Self.audit("loadbalancer.yaml")
        #expect(report.result("db.not-exposed")?.severity == .critical)
        #expect(report.details("db.not-exposed").contains("Service shop/shop-db-public: type: LoadBalancer exposes it outside the cluster (a database)"))
    }

    @Test func inlined_secret_fails_secret_keys_without_showing_the_value() throws {
        try Self.expectOnly("inline-secret.yaml", fail: ["secrets.env-review", "mistake.hardcoded-secrets"], line: 41)
        let report = try Self.audit("inline-secret.yaml")
        #expect(report.details("mistake.hardcoded-secrets").contains("stringData inlines 1 value(s) (password)"))
        for result in report.results {
            #expect(!result.findings.contains { $0.evidence.detail.contains("hunter2") }, "\(result.key) shows the secret")
        }
    }

    @Test func literal_env_password_fails_secret_keys() throws {
        try Self.expectOnly("env-secret.yaml", fail: ["secrets.env-review", "mistake.hardcoded-secrets"], line: 64)
        let details = try Self.audit("env-secret.yaml").details("secrets.env-review")
        #expect(details.contains("env DB_PASSWORD is a literal secret"))
        #expect(!details.contains("hunter2"))
    }

    @Test func missing_default_deny_policy_fails_internal_network() throws {
        try Self.expectOnly("no-networkpolicy.yaml", fail: ["network.internal"], line: 24)
    }

    @Test func ingress_without_tls_fails_https() throws {
        try Self.expectOnly("no-tls.yaml", fail: ["app.https", "mistake.unencrypted-communication"], line: 95)
    }

    @Test func cluster_without_scheduled_backup_fails_backups() throws {
        try Self.expectOnly("no-backup.yaml", fail: ["db.backups"], line: 135)
    }

    @Test func header_configmap_without_csp_fails_header_keys() throws {
        try Self.expectOnly("weak-headers.yaml", fail: ["app.security-headers", "mistake.missing-headers"], line: 169)
        #expect(try Self.audit("weak-headers.yaml").details("app.security-headers").contains("headers of Ingress web lack Content-Security-Policy"))
    }

    @Test func ingress_without_rate_limits_warns() throws {
        let report = try Self.audit("no-rate-limit.yaml")
        for key in Self.keys.sorted() {
            let expected: AuditStatus = KubernetesIngressRules.rateKeys.contains(key) ? .warn : .pass
            #expect(report.status(key) == expected, "\(key): \(report.details(key))")
        }
        #expect(report.result("app.rate-limiting")?.evidence.first?.line == 92)
    }

    @Test func ingress_only_policy_is_a_warning() throws {
        let text = try String(contentsOfFile: try AuditTestSupport.fixture("kubernetes/good.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "  - Ingress\n  - Egress\n", with: "  - Ingress\n")
        let objects = try KubernetesManifests.parse(path: "ingress-only.yaml", contents: text)
        let context = AuditContext(request: { var request = AuditRequest(); request.kubernetesPaths = ["ingress-only.yaml"]; return request }(),
                                   kubernetes: KubernetesManifests(files: ["ingress-only.yaml"], objects: objects))
        let report = Auditor().audit(context)
        #expect(report.status("network.internal") == .warn)
    }

    @Test func without_a_database_backups_are_not_applicable() throws {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  LOG_LEVEL: info\n"
        let report = try AuditTestSupport.withTemporaryDirectory { directory in
            let path = (directory as NSString).appendingPathComponent("rendered.yaml")
            try AuditTestSupport.write(text, to: path)
            return try AuditTestSupport.audit { $0.kubernetesPaths = [path] }
        }
        #expect(report.status("db.backups") == .notApplicable)
        #expect(report.details("db.backups").contains("external managed database"))
        // No workloads: nothing to say about users, limits or probes.
        #expect(report.status("container.non-root") == .notApplicable)
    }

    @Test func a_directory_is_read_file_by_file_and_kustomization_files_are_skipped() throws {
        let report = try AuditTestSupport.withTemporaryDirectory { directory in
            let good = try String(contentsOfFile: try AuditTestSupport.fixture("kubernetes/good.yaml"), encoding: .utf8)
            try AuditTestSupport.write(good, to: (directory as NSString).appendingPathComponent("all.yaml"))
            try AuditTestSupport.write("resources:\n  - all.yaml\n", to: (directory as NSString).appendingPathComponent("kustomization.yaml"))
            return try AuditTestSupport.audit { $0.kubernetesPaths = [directory] }
        }
        for key in Self.keys { #expect(report.status(key) == .pass, "\(key)") }
    }

    @Test func list_documents_and_empty_documents_are_read() throws {
        let text = "---\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: a\n  data:\n    key: c2VjcmV0\n"
        let objects = try KubernetesManifests.parse(path: "list.yaml", contents: text)
        #expect(objects.map(\.reference) == ["Secret a"])
        #expect(objects.first?.line == 7)
    }

    /// The shipped base read as plain manifests (the overlay only changes the image, the host
    /// name, networks and sizes; scripts/test audits the rendered overlay with kubectl).
    @Test func shipped_base_passes_every_kubernetes_key() throws {
        let base = AuditTestSupport.repositoryRoot + "/deploy/kubernetes/base"
        let report = try AuditTestSupport.audit { $0.kubernetesPaths = [base] }
        for key in Self.keys.sorted() {
            #expect(report.status(key) == .pass, "\(key): \(report.details(key))")
        }
        #expect(report.details("network.internal").contains("default-deny-all"))
        #expect(report.details("db.backups").contains("smflow-db"))
    }

    @Test func invalid_yaml_is_an_input_error() {
        #expect(throws: AuditInputError.self) { try KubernetesManifests.parse(path: "k.yaml", contents: "kind: [unclosed") }
        #expect(throws: AuditInputError.self) { try KubernetesManifests.load(["/nonexistent/rendered.yaml"]) }
    }
}
