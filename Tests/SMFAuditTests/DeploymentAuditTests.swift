import Foundation
import Testing
@testable import SMFAudit

/// The shipped deployment (deploy/, written for issue 5) audited statically:
/// discovery finds its files, and nothing fails.
@Suite struct DeploymentAuditTests {
    static var deployDirectory: String { AuditTestSupport.repositoryRoot + "/deploy" }
    static var deployExists: Bool { FileManager.default.fileExists(atPath: deployDirectory + "/docker-compose.prod.yml") }

    @Test(.enabled(if: deployExists)) func discovery_finds_the_deployment_files() throws {
        let files = try DeploymentDiscovery.discover(in: Self.deployDirectory)
        #expect(files.dockerfiles.contains { $0.hasSuffix("deploy/Dockerfile") })
        #expect(files.composeFiles.contains { $0.hasSuffix("docker-compose.prod.yml") })
        #expect(files.envFiles.contains { $0.hasSuffix(".env.example") })
        #expect(files.nginxFiles.contains { $0.hasSuffix("nginx/nginx.conf") })
        #expect(files.nginxFiles.contains { $0.hasSuffix(".conf.template") })
    }

    @Test(.enabled(if: deployExists)) func the_shipped_deployment_has_no_failure() throws {
        var request = AuditRequest()
        request.merge(try DeploymentDiscovery.discover(in: Self.deployDirectory))
        let report = try SMFAudit.run(request)
        let failures = report.results.filter { $0.status == .fail }
        #expect(failures.isEmpty, "\(failures.map { "\($0.key): \($0.evidence.map(\.detail))" })")
        // The files decide these (not n/a).
        for key in ["app.https", "app.security-headers", "db.not-exposed", "container.non-root", "network.internal"] {
            #expect(report.status(key) == .pass, "\(key)")
        }
    }

    @Test func discovery_follows_the_deploy_layout_and_skips_secrets() throws {
        let files = try AuditTestSupport.withTemporaryDirectory { directory in
            for path in ["Dockerfile", "worker.Dockerfile", "docker-compose.prod.yml", "compose.yaml", ".env", ".env.example", "prod.env",
                         "nginx/nginx.conf", "nginx/snippets/headers.conf", "nginx/templates/site.conf.template", "nginx/README.md",
                         "secrets/.env", "tls/privkey.conf", "notes.txt"] {
                try AuditTestSupport.write("x\n", to: directory + "/" + path)
            }
            return try DeploymentDiscovery.discover(in: directory)
        }
        #expect(files.dockerfiles.map { ($0 as NSString).lastPathComponent } == ["Dockerfile", "worker.Dockerfile"])
        #expect(files.composeFiles.map { ($0 as NSString).lastPathComponent }.sorted() == ["compose.yaml", "docker-compose.prod.yml"])
        #expect(files.envFiles.map { ($0 as NSString).lastPathComponent }.sorted() == [".env", ".env.example", "prod.env"])
        #expect(files.nginxFiles.map { ($0 as NSString).lastPathComponent }.sorted() == ["headers.conf", "nginx.conf", "site.conf.template"])
    }

    @Test func discovery_of_a_missing_directory_is_an_input_error() {
        #expect(throws: AuditInputError.self) { try DeploymentDiscovery.discover(in: "/nonexistent/deploy") }
    }
}
