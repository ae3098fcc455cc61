import Foundation
import Testing

/// `smflow audit --url` (issue 6) against the real nginx + app stack of the
/// deployment tests (no live key may fail) and against deliberately
/// misconfigured servers (every live check must fail there). Loopback only.
@Suite(.serialized, .enabled(if: TestPrograms.liveNginxTestsEnabled, TestPrograms.nginxDisabledReason))
struct AuditLiveTests {
    static let liveKeys = ["app.https", "mistake.unencrypted-communication", "app.security-headers", "mistake.missing-headers",
                           "app.error-messages", "app.input-validation", "secrets.cors-origins", "mistake.permissive-cors",
                           "network.admin-private", "app.rate-limiting", "mistake.no-rate-limiting", "app.authn-authz",
                           "health.availability", "health.response-times", "health.error-rates"]

    struct Report {
        let output: ProcessOutput
        let results: [String: (status: String, details: [String])]

        func status(_ key: String) -> String? { results[key]?.status }
        func details(_ key: String) -> String { results[key]?.details.joined(separator: " | ") ?? "" }
    }

    static func audit(_ arguments: [String]) async throws -> Report {
        let output = try await SmflowBinary.run(["audit", "--format", "json", "--timeout", "10"] + arguments)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output)")
        let results = try #require(json["results"] as? [[String: Any]])
        var byKey: [String: (String, [String])] = [:]
        for result in results {
            guard let key = result["key"] as? String, let status = result["status"] as? String else { continue }
            // The evidence, and every finding (a warning hides the passes from the evidence).
            let evidence = (result["evidence"] as? [[String: Any]] ?? []).compactMap { $0["detail"] as? String }
                + (result["findings"] as? [[String: Any]] ?? []).compactMap { $0["detail"] as? String }
            byKey[key] = (status, evidence)
        }
        return Report(output: output, results: byKey)
    }

    static func stackArguments(_ stack: NginxStack) -> [String] {
        ["--url", stack.httpsBase, "--address", "127.0.0.1", "--cacert", stack.ca.caFile.path]
    }

    @Test func shipped_stack_passes_every_live_key_once_the_certificate_is_fresh() async throws {
        try await NginxStack.with { stack in
            // The throwaway certificate lives two days: the expiry rule must fail it.
            let shortLived = try await Self.audit(Self.stackArguments(stack) + ["--only", "app.https"])
            #expect(shortLived.status("app.https") == "fail", "\(shortLived.output)")
            #expect(shortLived.details("app.https").contains("days left"), "\(shortLived.details("app.https"))")

            try await Self.renewCertificate(stack, days: 90)
            // The issue's acceptance run: the shipped files and the running stack together, no `fail` at all.
            let report = try await Self.audit(Self.stackArguments(stack) + ["--deployment", RepositoryFiles.url("deploy").path])
            let failing = report.results.filter { $0.value.status == "fail" }.map(\.key).sorted()
            #expect(failing.isEmpty, "failing keys: \(failing.map { "\($0): \(report.details($0))" })")
            #expect(report.output.status == 0, "\(report.output.stderr)")
            for key in Self.liveKeys {
                #expect(report.status(key) != "fail", "\(key): \(report.details(key))")
                #expect(report.status(key) != "n/a", "\(key) was not decided: \(report.details(key))")
            }
            #expect(report.details("app.security-headers").contains("grade A"), "\(report.details("app.security-headers"))")
            #expect(report.details("app.https").contains("TLS 1.0 refused, TLS 1.1 refused, TLS 1.2 accepted, TLS 1.3 accepted"),
                    "\(report.details("app.https"))")
            #expect(report.details("app.rate-limiting").contains("429 after"), "\(report.details("app.rate-limiting"))")
            #expect(report.details("network.admin-private").contains("/metrics → 403"), "\(report.details("network.admin-private"))")
            // Every protected GET the served OpenAPI document lists was probed anonymously.
            #expect(report.details("app.authn-authz").contains("protected GET operations of /api/v1/openapi.json"),
                    "\(report.details("app.authn-authz"))")
        }
    }

    /// An http:// URL is judged on its redirect to https on the same host.
    @Test func plain_http_url_of_the_stack_redirects_to_https() async throws {
        try await NginxStack.with { stack in
            let report = try await Self.audit(["--url", stack.httpBase, "--address", "127.0.0.1", "--only", "mistake.unencrypted-communication"])
            #expect(report.status("mistake.unencrypted-communication") == "pass", "\(report.details("mistake.unencrypted-communication"))")
            #expect(report.details("mistake.unencrypted-communication").contains("→ 301"))
        }
    }

    @Test func misconfigured_server_fails_every_live_check() async throws {
        try await MisconfiguredServer.with { server in
            let report = try await Self.audit(["--url", server.url])
            #expect(report.output.status == 1, "\(report.output)")
            for key in ["app.https", "mistake.unencrypted-communication", "app.security-headers", "mistake.missing-headers",
                        "app.error-messages", "app.input-validation", "secrets.cors-origins", "mistake.permissive-cors",
                        "network.admin-private", "app.rate-limiting", "mistake.no-rate-limiting", "app.authn-authz"] {
                #expect(report.status(key) == "fail", "\(key): \(report.details(key))")
            }
            #expect(report.status("health.error-rates") == "warn", "\(report.details("health.error-rates"))")
            let errors = report.details("app.error-messages")
            #expect(errors.contains("Server: nginx/1.2.3"), "\(errors)")
            #expect(errors.contains("stack trace"), "\(errors)")
            #expect(errors.contains("SQL"), "\(errors)")
            #expect(report.details("mistake.permissive-cors").contains("reflected with credentials"))
            #expect(report.details("app.rate-limiting").contains("burst of 200: no 429"))
            #expect(report.details("app.security-headers").contains("X-XSS-Protection: 1; mode=block"))
            #expect(report.details("app.security-headers").contains("grade"))
        }
    }

    /// A TLS server that still takes TLS 1.0 and presents a certificate for another name.
    @Test func legacy_tls_and_wrong_host_name_fail() async throws {
        let openssl = try TestPrograms.require(TestPrograms.openssl, "openssl")
        let scratch = try ScratchDirectory(prefix: "smflow-legacy-tls")
        defer { scratch.remove() }
        let ca = try await ThrowawayCA.make(in: try scratch.subdirectory("tls"), serverName: "other.test")
        let port = try LoopbackPort.free()
        let server = try ChildProcess.start(
            name: "s_server", openssl,
            ["s_server", "-accept", "127.0.0.1:\(port)", "-www", "-cert", ca.tlsDirectory.appendingPathComponent("cert.pem").path,
             "-key", ca.tlsDirectory.appendingPathComponent("privkey.pem").path, "-cipher", "DEFAULT:@SECLEVEL=0",
             "-min_protocol", "TLSv1", "-max_protocol", "TLSv1.2"],
            environment: [:], directory: scratch.url, logIn: scratch.url)
        // SIGKILL: an in-process test may have set SIGTERM to ignored (the server's
        // signal handling does), and children inherit that — s_server then outlived the run.
        defer { kill(server.process.processIdentifier, SIGKILL) }
        #expect(await LoopbackPort.waitUntilAccepting([port], timeout: .seconds(15)))
        let report = try await Self.audit(["--url", "https://smflow.test:\(port)", "--address", "127.0.0.1",
                                           "--cacert", ca.caFile.path, "--only", "app.https,mistake.unencrypted-communication"])
        let details = report.details("app.https")
        #expect(report.status("app.https") == "fail", "\(details)")
        #expect(details.contains("TLS 1.0 accepted"), "\(details)")
        #expect(details.contains("does not verify"), "\(details)")
        #expect(report.status("mistake.unencrypted-communication") == "fail", "\(report.details("mistake.unencrypted-communication"))")
    }

    /// Signs a fresh server certificate with the stack's throwaway CA and
    /// reloads nginx (the stack's own files, same names).
    static func renewCertificate(_ stack: NginxStack, days: Int) async throws {
        let openssl = try TestPrograms.require(TestPrograms.openssl, "openssl")
        let nginx = try TestPrograms.require(TestPrograms.nginx, "nginx")
        let tls = stack.ca.tlsDirectory
        func path(_ name: String) -> String { tls.appendingPathComponent(name).path }
        let signed = try await ProcessRunner.run(openssl, [
            "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
            "-days", String(days), "-extfile", path("server.ext"), "-out", path("cert.pem")])
        #expect(signed.status == 0, "\(signed)")
        let chain = try String(contentsOfFile: path("cert.pem"), encoding: .utf8) + String(contentsOfFile: path("ca.pem"), encoding: .utf8)
        try Data(chain.utf8).write(to: tls.appendingPathComponent("fullchain.pem"))
        let reload = try await ProcessRunner.run(nginx, ["-p", stack.prefix.path + "/", "-c", stack.configFile.path, "-e", "stderr", "-s", "reload"])
        #expect(reload.status == 0, "\(reload)")
        // Workers with the new certificate replace the old ones within moments.
        try await Task.sleep(for: .seconds(2))
    }
}
