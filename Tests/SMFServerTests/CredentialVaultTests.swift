import Fluent
import Foundation
import SMFCore
import SMFSecurity
import SQLKit
import Testing
import VaporTesting
@testable import SMFServer

/// The vault's promises (issue 8, "Must show"): a ciphertext moved to another
/// row does not open; no plaintext secret in the database (its raw column, and
/// the bytes of a SQLite file), in the logs or in any API answer.
@Suite struct CredentialVaultTests {
    @Test func opened_secrets_never_print_their_values() throws {
        let vault = CredentialVault(box: SecretBox(current: .init(material: CredentialFixtures.key())))
        let token = CredentialFixtures.botToken()
        let (workspace, credential) = (UUID(), UUID())
        let sealed = try vault.seal(["bot_token": token], workspaceID: workspace, credentialID: credential)
        #expect(!sealed.contains(token))
        let secrets = try vault.open(sealed: sealed, workspaceID: workspace, credentialID: credential)
        #expect(secrets.reveal("bot_token") == token)
        #expect(secrets.fieldNames == ["bot_token"])
        var dumped = ""
        dump(secrets, to: &dumped)
        for text in [secrets.description, secrets.debugDescription, "\(secrets)", String(reflecting: secrets), dumped,
                     "\(String(describing: secrets["bot_token"]))"] {
            #expect(!text.contains(token), "\(text)")
            #expect(!text.contains(token.suffix(12)))
        }
    }

    @Test func a_ciphertext_moved_to_another_row_does_not_open() async throws {
        try await withTestApp(CredentialFixtures.withKey(CredentialFixtures.key())) { app in
            let api = try await CredentialAPI.make(app)
            let other = try await CredentialAPI.make(app, name: "Other")
            let (first, _) = try await api.created(.telegramBot, name: "a")
            let (second, _) = try await api.created(.telegramBot, name: "b")
            let (foreign, _) = try await other.created(.telegramBot, name: "c")
            let vault = try #require(CredentialVault(config: app.smf.config))
            let source = try #require(try await Credential.find(UUID(uuidString: first), on: app.db))
            _ = try vault.open(source)
            for target in [second, foreign] {
                let row = try #require(try await Credential.find(UUID(uuidString: target), on: app.db))
                row.sealed = source.sealed
                try await row.save(on: app.db)
                let reloaded = try #require(try await Credential.find(UUID(uuidString: target), on: app.db))
                #expect(throws: CredentialVault.Failure.cannotOpen(.notAuthentic)) { try vault.open(reloaded) }
            }
            // Same row id, other workspace: the workspace is bound too.
            let moved = Credential(workspaceID: other.workspaceID, kind: source.kind, name: "moved", now: Date())
            moved.id = source.id
            moved.sealed = source.sealed
            #expect(throws: CredentialVault.Failure.cannotOpen(.notAuthentic)) { try vault.open(moved) }
            // One flipped character: not authentic either.
            let sealed = try #require(source.sealed)
            var bytes = Array(sealed)
            bytes[bytes.count - 5] = bytes[bytes.count - 5] == "A" ? "B" : "A"
            #expect(throws: CredentialVault.Failure.cannotOpen(.notAuthentic)) {
                try vault.open(sealed: String(bytes), workspaceID: source.workspaceID, credentialID: try source.requireID())
            }
        }
    }

    @Test func previous_keys_open_and_unknown_keys_do_not() throws {
        let old = CredentialFixtures.key()
        let new = CredentialFixtures.key()
        let (workspace, credential) = (UUID(), UUID())
        let before = CredentialVault(box: SecretBox(current: .init(material: old)))
        let sealed = try before.seal(["api_key": "sk-old"], workspaceID: workspace, credentialID: credential)
        var config = AppConfig()
        config.encryptionKey = new
        config.encryptionKeyPrevious = [old]
        let ring = try #require(CredentialVault(config: config))
        #expect(try ring.open(sealed: sealed, workspaceID: workspace, credentialID: credential).reveal("api_key") == "sk-old")
        #expect(SecretBox.keyID(of: try ring.seal(["api_key": "x"], workspaceID: workspace, credentialID: credential)) == ring.currentKeyID)
        config.encryptionKeyPrevious = []
        let newOnly = try #require(CredentialVault(config: config))
        #expect(throws: CredentialVault.Failure.cannotOpen(.unknownKey)) {
            try newOnly.open(sealed: sealed, workspaceID: workspace, credentialID: credential)
        }
        #expect(CredentialVault(config: AppConfig()) == nil)
    }

    @Test func the_engine_loads_material_of_its_own_workspace_only() async throws {
        try await withTestApp(CredentialFixtures.withKey(CredentialFixtures.key())) { app in
            let api = try await CredentialAPI.make(app)
            let (fields, _) = CredentialFixtures.allFields(.httpHeader)
            let id = try #require(try await api.create(.httpHeader, fields: fields).json["id"] as? String)
            let vault = try #require(CredentialVault(config: app.smf.config))
            let uuid = try #require(UUID(uuidString: id))
            let material = try await vault.material(credentialID: uuid, workspaceID: api.workspaceID, on: app.db)
            #expect(material.kind == .httpHeader)
            #expect(material.publicFields == ["header_name": "X-Api-Key"])
            #expect(material.secrets.reveal("header_value") == fields["header_value"])
            await #expect(throws: CredentialVault.Failure.notFound) {
                try await vault.material(credentialID: uuid, workspaceID: UUID(), on: app.db)
            }
        }
    }

    /// Every answer of the API and every log line, for every kind: no secret
    /// value anywhere (the last 4 characters are the hint, by design).
    @Test func secrets_never_reach_an_answer_or_a_log_line() async throws {
        let logs = LogCapture()
        var secrets: [String] = []
        var bodies: [String] = []
        try await withTestApp(CredentialFixtures.withKey(CredentialFixtures.key()), logs: logs) { app in
            let api = try await CredentialAPI.make(app)
            func keep(_ response: TestingHTTPResponse) { bodies.append(String(buffer: response.body)) }
            for kind in CredentialKind.allCases {
                let (all, values) = CredentialFixtures.allFields(kind)
                secrets += values
                let created = try await api.create(kind, fields: all)
                keep(created)
                let id = try #require(created.json["id"] as? String)
                keep(try await api.send(.GET, "\(api.base)/\(id)"))
                let (replacement, _) = CredentialFixtures.fields(kind)
                secrets += replacement.values
                keep(try await api.send(.PUT, "\(api.base)/\(id)/secrets", body: ["fields": replacement]))
                // A rejected write (a stray field) must not echo the secrets either.
                var stray = replacement
                stray["unknown"] = "x"
                keep(try await api.send(.PUT, "\(api.base)/\(id)/secrets", body: ["fields": stray]))
            }
            keep(try await api.send(.GET, api.base))
            keep(try await api.send(.GET, "/api/v1/workspaces/\(api.workspaceID.uuidString)/security-events"))
        }
        #expect(bodies.count == 4 * CredentialKind.allCases.count + 2)
        #expect(!logs.lines.isEmpty)
        for secret in secrets {
            #expect(secret.count >= 12)
            // The full value, and any 8 characters of it before the hint.
            let probes = [secret, String(secret.prefix(8)), String(secret.dropLast(4).suffix(8))]
            for probe in probes {
                for body in bodies { #expect(!body.contains(probe), "an API answer holds a secret") }
                for line in logs.lines { #expect(!line.contains(probe), "a log line holds a secret") }
            }
        }
    }

    /// The raw `sealed` column holds ciphertext; with a SQLite file, the
    /// file's bytes (and its journal) hold no secret.
    @Test func no_plaintext_in_the_database() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-vault-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let useFile = !TestDatabase.isPostgres
        var secrets: [String] = []
        try await withTestApp({ config in
            CredentialFixtures.withKey(CredentialFixtures.key())(&config)
            if useFile { config.database = .sqlite(path: directory.appendingPathComponent("smflow.sqlite").path) }
        }) { app in
            let api = try await CredentialAPI.make(app)
            for kind in CredentialKind.allCases {
                let (all, values) = CredentialFixtures.allFields(kind)
                secrets += values
                #expect(try await api.create(kind, fields: all).status == .created)
            }
            let sql = try #require(app.db as? any SQLDatabase)
            let rows = try await sql.raw("SELECT sealed, hints, public_fields, key_id FROM credentials").all()
            #expect(rows.count == CredentialKind.allCases.count)
            for row in rows {
                let sealed = try row.decode(column: "sealed", as: String.self)
                #expect(sealed.hasPrefix("v1.\(try row.decode(column: "key_id", as: String.self))."))
                let stored = [sealed, try row.decode(column: "hints", as: String.self), try row.decode(column: "public_fields", as: String.self)]
                for text in stored {
                    for secret in secrets { #expect(!text.contains(secret) && !text.contains(secret.prefix(8))) }
                }
            }
        }
        guard useFile else { return }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(files.contains("smflow.sqlite"))
        for file in files {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(file))
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds a secret in plain text")
                #expect(bytes.range(of: Data(secret.prefix(8).utf8)) == nil, "\(file) holds part of a secret")
            }
        }
    }
}
