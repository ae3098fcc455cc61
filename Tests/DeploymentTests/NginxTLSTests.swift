import Foundation
import Testing

/// TLS of the shipped nginx configuration, probed with `openssl s_client`
/// (checklist keys app.https, mistake.unencrypted-communication).
@Suite(.serialized, .enabled(if: TestPrograms.liveNginxTestsEnabled, TestPrograms.nginxDisabledReason))
struct NginxTLSTests {
    /// One handshake. The client allows everything down to TLS 1.0
    /// (`@SECLEVEL=0`), so a refusal is the server's decision, not the local
    /// OpenSSL's default policy.
    static func handshake(_ stack: NginxStack, _ options: [String]) async throws -> ProcessOutput {
        let openssl = try TestPrograms.require(TestPrograms.openssl, "openssl")
        return try await ProcessRunner.run(openssl, [
            "s_client", "-connect", "127.0.0.1:\(stack.httpsPort)", "-servername", NginxStack.serverName,
            "-CAfile", stack.ca.caFile.path, "-verify_return_error",
        ] + options, input: "", timeout: .seconds(20))
    }

    static let anyCipher = ["-cipher", "ALL:@SECLEVEL=0"]

    @Test func tls_1_0_and_1_1_are_refused() async throws {
        try await NginxStack.with { stack in
            for version in ["-tls1", "-tls1_1"] {
                let result = try await Self.handshake(stack, [version] + Self.anyCipher)
                #expect(result.status != 0, "\(version) was accepted: \(result)")
                #expect(!result.stdout.contains("BEGIN CERTIFICATE"), "\(version) got a certificate: \(result.stdout)")
            }
        }
    }

    @Test func tls_1_2_and_1_3_are_accepted_with_a_verified_certificate() async throws {
        try await NginxStack.with { stack in
            for (option, protocolName) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
                let result = try await Self.handshake(stack, [option])
                #expect(result.status == 0, "\(option): \(result)")
                #expect(result.stdout.contains(protocolName), "\(option): \(result.stdout)")
                #expect(result.stdout.contains("BEGIN CERTIFICATE"), "\(option): \(result.stdout)")
                #expect(result.stdout.contains("Verify return code: 0 (ok)"), "\(option): \(result.stdout)")
            }
        }
    }

    /// Mozilla "intermediate": forward-secret AEAD ciphers only.
    @Test func ciphers_without_forward_secrecy_or_aead_are_refused() async throws {
        try await NginxStack.with { stack in
            for cipher in ["AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA"] {
                let result = try await Self.handshake(stack, ["-tls1_2", "-cipher", cipher + ":@SECLEVEL=0"])
                #expect(result.status != 0, "\(cipher) was accepted: \(result.stdout)")
            }
        }
    }

    /// A host name the server does not serve gets no certificate at all.
    @Test func unknown_server_names_are_refused_in_the_handshake() async throws {
        try await NginxStack.with { stack in
            let openssl = try TestPrograms.require(TestPrograms.openssl, "openssl")
            let result = try await ProcessRunner.run(openssl, [
                "s_client", "-connect", "127.0.0.1:\(stack.httpsPort)", "-servername", "attacker.example", "-tls1_2",
            ], input: "", timeout: .seconds(20))
            #expect(result.status != 0, "\(result)")
        }
    }
}
