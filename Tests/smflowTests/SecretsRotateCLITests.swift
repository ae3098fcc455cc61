import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// `smflow secrets rotate-encryption-key` as an operator runs it: a secret
/// stored by a running server under one key is re-encrypted under the next,
/// `--dry-run` counts per key id, exit statuses, and a row that does not
/// open is named by id only.
@Suite struct SecretsRotateCLITests {
    @Test func usage_errors() throws {
        let key = try CLITests.hexKey()
        #expect(try CLITests.run(["secrets", "rotate-encryption-key", "--batch-size", "0"], environment: ["SMF_ENCRYPTION_KEY": key]).status == 64)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-rotate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let noKey = try CLITests.run(["secrets", "rotate-encryption-key"], directory: directory)
        #expect(noKey.status == 78)
        #expect(noKey.stderr.contains("SMF_ENCRYPTION_KEY"))
        // Previous equal to current: a configuration error.
        let same = try CLITests.run(["secrets", "rotate-encryption-key"],
                                    environment: ["SMF_ENCRYPTION_KEY": key, "SMF_ENCRYPTION_KEY_PREVIOUS": key], directory: directory)
        #expect(same.status == 78)
        #expect(!same.stderr.contains(key))
    }

    @Test func rotates_a_secret_stored_by_the_server() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-rotate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (first, second, third) = (try CLITests.hexKey(), try CLITests.hexKey(), try CLITests.hexKey())
        let base = ["SMF_BCRYPT_COST": "10"]
        let created = try CLITests.run(["admin", "create-user", "--email", "vault@example.com", "--generate-password"],
                                       environment: base.merging(["SMF_ENCRYPTION_KEY": first]) { a, _ in a }, directory: directory)
        #expect(created.status == 0, "\(created.stderr)")
        let password = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        // A bot token stored through the API under the first key.
        let token = "\(Int.random(in: 100_000_000...999_999_999)):" + UUID().uuidString.replacingOccurrences(of: "-", with: "") + "abcd"
        let (process, address) = try await CLITests.startServe(in: directory, environment: base.merging(["SMF_ENCRYPTION_KEY": first]) { a, _ in a })
        defer { if process.isRunning { process.terminate() } }
        let session = try await Self.post(address + "/api/v1/auth/login", body: #"{"email":"vault@example.com","password":"\#(password)","delivery":"bearer"}"#)
        let bearer = try #require(session["token"] as? String)
        var list = HTTPClientRequest(url: address + "/api/v1/workspaces")
        list.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        let listed = try await HTTPClient.shared.execute(list, timeout: .seconds(10))
        let workspaces = try JSONSerialization.jsonObject(with: Data(try await listed.body.collect(upTo: 1 << 20).readableBytesView)) as? [[String: Any]]
        let workspace = try #require(workspaces?.first?["id"] as? String)
        let credential = try await Self.post(address + "/api/v1/workspaces/\(workspace)/credentials", bearer: bearer,
                                             body: #"{"name":"bot","kind":"telegram.bot","fields":{"bot_token":"\#(token)"}}"#)
        let credentialID = try #require(credential["id"] as? String)
        let firstKeyID = try #require(credential["key_id"] as? String)
        process.terminate()
        process.waitUntilExit()

        let rotating = ["SMF_ENCRYPTION_KEY": second, "SMF_ENCRYPTION_KEY_PREVIOUS": first]
        let dry = try CLITests.run(["secrets", "rotate-encryption-key", "--dry-run"], environment: rotating, directory: directory)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout == "credentials\t\(firstKeyID)\t1\n")

        let rotated = try CLITests.run(["secrets", "rotate-encryption-key", "--batch-size", "1"], environment: rotating, directory: directory)
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(rotated.stderr.contains("re-encrypted 1 row(s)"))
        #expect(rotated.stderr.contains("credentials: 1/1"))
        let after = try CLITests.run(["secrets", "rotate-encryption-key", "--dry-run"], environment: ["SMF_ENCRYPTION_KEY": second], directory: directory)
        #expect(after.stdout.hasSuffix("(current)\t1\n"), "\(after.stdout)")
        #expect(try CLITests.run(["secrets", "rotate-encryption-key"], environment: ["SMF_ENCRYPTION_KEY": second], directory: directory).status == 0)

        // A key ring without the second key cannot open the row: exit 1, by id only.
        let lost = try CLITests.run(["secrets", "rotate-encryption-key"], environment: ["SMF_ENCRYPTION_KEY": third], directory: directory)
        #expect(lost.status == 1)
        #expect(lost.stderr.contains("cannot re-encrypt credentials \(credentialID.lowercased())"), "\(lost.stderr)")
        for output in [dry, rotated, after, lost] {
            #expect(!output.stdout.contains(token) && !output.stderr.contains(token))
            #expect(!output.stderr.contains(first) && !output.stderr.contains(second))
        }
    }

    static func post(_ url: String, bearer: String? = nil, body: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]
        #expect((200..<300).contains(Int(response.status.code)), "\(url): \(response.status) \(String(buffer: bytes))")
        return object ?? [:]
    }
}
