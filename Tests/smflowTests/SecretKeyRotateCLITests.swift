import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// `smflow secrets rotate-secret-key` as an operator runs it against a
/// server's database: a session issued under the old SMF_SECRET_KEY keeps
/// working after the rotation (grace), and `--retire-now` refuses it at once
/// in the server that is already running. Key material is never printed.
@Suite struct SecretKeyRotateCLITests {
    @Test func usage_errors() throws {
        let key = try CLITests.hexKey()
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try CLITests.run(["secrets", "rotate-secret-key", "--grace", "7w"], environment: ["SMF_SECRET_KEY": key], directory: directory).status == 64)
        #expect(try CLITests.run(["secrets", "rotate-secret-key", "--grace", "91d"], environment: ["SMF_SECRET_KEY": key], directory: directory).status == 64)
        let noKey = try CLITests.run(["secrets", "rotate-secret-key"], directory: directory)
        #expect(noKey.status == 78)
        #expect(noKey.stderr.contains("SMF_SECRET_KEY"))
        let same = try CLITests.run(["secrets", "rotate-secret-key"],
                                    environment: ["SMF_SECRET_KEY": key, "SMF_SECRET_KEY_PREVIOUS": key], directory: directory)
        #expect(same.status == 78)
        #expect(!same.stderr.contains(key) && !same.stdout.contains(key))
    }

    @Test func a_session_survives_the_grace_and_dies_with_retire_now() async throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (old, new) = (try CLITests.hexKey(), try CLITests.hexKey())
        let base = ["SMF_BCRYPT_COST": "10"]
        let before = base.merging(["SMF_SECRET_KEY": old]) { a, _ in a }
        let rotating = base.merging(["SMF_SECRET_KEY": new, "SMF_SECRET_KEY_PREVIOUS": old]) { a, _ in a }

        let created = try CLITests.run(["admin", "create-user", "--email", "rotate@example.com", "--generate-password"],
                                       environment: before, directory: directory)
        #expect(created.status == 0, "\(created.stderr)")
        let password = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        // Two bearer sessions issued by a server under the old key.
        var (server, address) = try await CLITests.startServe(in: directory, environment: before)
        let login = #"{"email":"rotate@example.com","password":"\#(password)","delivery":"bearer"}"#
        let used = try #require(try await SecretsRotateCLITests.post(address + "/api/v1/auth/login", body: login)["token"] as? String)
        let idle = try #require(try await SecretsRotateCLITests.post(address + "/api/v1/auth/login", body: login)["token"] as? String)
        #expect(try await Self.me(address, used) == 200)
        server.terminate()
        server.waitUntilExit()

        // The rotation: the old key is accepted for 7 days; key ids only.
        let rotated = try CLITests.run(["secrets", "rotate-secret-key", "--grace", "7d"], environment: rotating, directory: directory)
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(rotated.stdout.contains("current key id "))
        #expect(rotated.stdout.contains("accepted until"))
        #expect(rotated.stdout.contains("sessions in grace: 2"), "\(rotated.stdout)")

        // A server under the new key still takes an old session, and
        // re-hashes it under the new key on that request.
        (server, address) = try await CLITests.startServe(in: directory, environment: rotating)
        defer { if server.isRunning { server.terminate() } }
        #expect(try await Self.me(address, used) == 200)

        // Compromise: retire now. The server that is already running refuses
        // the session still under the old key on its next request (the
        // retirement is read from the database, not from a cache); the one
        // re-hashed during the grace keeps working.
        let retired = try CLITests.run(["secrets", "rotate-secret-key", "--retire-now"], environment: rotating, directory: directory)
        #expect(retired.status == 0, "\(retired.stderr)")
        #expect(retired.stdout.contains("retired "), "\(retired.stdout)")
        #expect(retired.stdout.contains("deleted 1 session(s)"), "\(retired.stdout)")
        #expect(try await Self.me(address, idle) == 401)
        #expect(try await Self.me(address, used) == 200)

        for output in [rotated, retired] {
            #expect(!output.stdout.contains(old) && !output.stderr.contains(old))
            #expect(!output.stdout.contains(new) && !output.stderr.contains(new))
        }
    }

    static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-secret-rotate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static func me(_ address: String, _ bearer: String) async throws -> Int {
        var request = HTTPClientRequest(url: address + "/api/v1/auth/me")
        request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        return Int(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code)
    }
}
