import Foundation

/// A certificate authority and a server certificate made with openssl for
/// one test run, in the file layout nginx expects (the certbot deploy hook
/// of docs/DEPLOYMENT.md produces the same names). Nothing is committed.
struct ThrowawayCA: Sendable {
    /// fullchain.pem, privkey.pem, chain.pem
    let tlsDirectory: URL
    /// The CA certificate clients trust.
    let caFile: URL

    static func make(in directory: URL, serverName: String) async throws -> ThrowawayCA {
        let program = try TestPrograms.require(TestPrograms.openssl, "openssl")
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func openssl(_ arguments: [String]) async throws {
            let result = try await ProcessRunner.run(program, arguments, timeout: .seconds(60))
            guard result.status == 0 else { throw OpenSSLFailed(arguments: arguments, output: result) }
        }

        // RSA: the "non-forward-secret cipher refused" check needs a key that could do RSA key exchange.
        try await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                           "-subj", "/CN=smflow throwaway test CA",
                           "-addext", "basicConstraints=critical,CA:TRUE",
                           "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                           "-keyout", path("ca.key"), "-out", path("ca.pem")])
        try await openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(serverName)",
                           "-keyout", path("privkey.pem"), "-out", path("server.csr")])
        let extensions = """
            subjectAltName=DNS:\(serverName)
            basicConstraints=CA:FALSE
            keyUsage=critical,digitalSignature,keyEncipherment
            extendedKeyUsage=serverAuth
            """
        try Data(extensions.utf8).write(to: directory.appendingPathComponent("server.ext"))
        try await openssl(["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                           "-CAcreateserial", "-days", "2", "-extfile", path("server.ext"), "-out", path("cert.pem")])

        let leaf = try String(contentsOfFile: path("cert.pem"), encoding: .utf8)
        let ca = try String(contentsOfFile: path("ca.pem"), encoding: .utf8)
        try Data((leaf + ca).utf8).write(to: directory.appendingPathComponent("fullchain.pem"))
        try Data(ca.utf8).write(to: directory.appendingPathComponent("chain.pem"))
        return ThrowawayCA(tlsDirectory: directory, caFile: directory.appendingPathComponent("ca.pem"))
    }

    struct OpenSSLFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let output: ProcessOutput
        var description: String { "openssl \(arguments.joined(separator: " ")) failed: \(output)" }
    }
}
