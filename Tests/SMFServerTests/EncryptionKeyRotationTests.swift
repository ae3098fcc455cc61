import Fluent
import Foundation
import NIOConcurrencyHelpers
import SMFCore
import SMFSecurity
import SQLKit
import Testing
import VaporTesting
@testable import SMFServer

/// `smflow secrets rotate-encryption-key` (issue 8): rows under an old key
/// are re-encrypted under the new one, the old key keeps working meanwhile,
/// an interrupted run resumes, a rerun does nothing, concurrent runs do not
/// clash, and a row that does not open is reported by id only.
@Suite struct EncryptionKeyRotationTests {
    struct Interrupted: Error {}

    /// Credentials stored under `old`, then the app's view of a rotation:
    /// current `new`, previous `old`.
    func seeded(_ app: Application, count: Int) async throws -> (ids: [UUID], secrets: [UUID: String]) {
        let api = try await CredentialAPI.make(app)
        var ids: [UUID] = []
        var secrets: [UUID: String] = [:]
        for index in 0..<count {
            let token = CredentialFixtures.botToken()
            let response = try await api.create(.telegramBot, name: "bot \(index)", fields: ["bot_token": token])
            let text = try #require(response.json["id"] as? String)
            let id = try #require(UUID(uuidString: text))
            ids.append(id)
            secrets[id] = token
        }
        return (ids, secrets)
    }

    func rotation(old: SecretValue, new: SecretValue, batchSize: Int = 2) -> EncryptionKeyRotation {
        EncryptionKeyRotation(box: SecretBox(current: .init(material: new), previous: [.init(material: old)]),
                              columns: [.credentials], batchSize: batchSize)
    }

    func keyIDs(_ app: Application) async throws -> [String?] {
        try await Credential.query(on: app.db).all().map(\.keyID)
    }

    @Test func rows_under_the_old_key_are_reencrypted() async throws {
        let (old, new) = (CredentialFixtures.key(), CredentialFixtures.key())
        try await withTestApp(CredentialFixtures.withKey(old)) { app in
            let (ids, secrets) = try await seeded(app, count: 5)
            let sql = try #require(app.db as? any SQLDatabase)
            let rotation = rotation(old: old, new: new)
            let oldID = SecretBox.Key(material: old).id
            let newID = SecretBox.Key(material: new).id
            #expect(try await rotation.counts(on: sql) == ["credentials": [oldID: 5]])
            let before = try await Credential.query(on: app.db).all().compactMap(\.sealed)

            let seen = NIOLockedValueBox<[EncryptionKeyRotation.Progress]>([])
            let report = try await rotation.run(on: sql) { progress in seen.withLockedValue { $0.append(progress) } }
            #expect(report.reencrypted == 5 && report.failures.isEmpty && report.isComplete)
            #expect(seen.withLockedValue { $0.map(\.done) } == [1, 2, 3, 4, 5])
            #expect(seen.withLockedValue { $0.allSatisfy { $0.total == 5 && $0.table == "credentials" } })
            #expect(try await keyIDs(app) == Array(repeating: newID, count: 5))
            let after = try await Credential.query(on: app.db).all().compactMap(\.sealed)
            #expect(Set(after).isDisjoint(with: before))

            // The new key alone opens every row now: the old one can be retired.
            var config = app.smf.config
            config.encryptionKey = new
            config.encryptionKeyPrevious = []
            let newOnly = try #require(CredentialVault(config: config))
            for id in ids {
                let row = try #require(try await Credential.find(id, on: app.db))
                #expect(try newOnly.open(row).reveal("bot_token") == secrets[id])
            }
            // A rerun is a no-op.
            let again = try await rotation.run(on: sql)
            #expect(again.reencrypted == 0 && again.isComplete)
            #expect(try await Credential.query(on: app.db).all().compactMap(\.sealed) == after)
        }
    }

    @Test func an_interrupted_rotation_resumes_and_the_old_key_works_meanwhile() async throws {
        let (old, new) = (CredentialFixtures.key(), CredentialFixtures.key())
        try await withTestApp(CredentialFixtures.withKey(old)) { app in
            let (ids, secrets) = try await seeded(app, count: 7)
            let sql = try #require(app.db as? any SQLDatabase)
            let rotation = rotation(old: old, new: new, batchSize: 2)
            // The crash: the progress callback throws after the third row.
            await #expect(throws: Interrupted.self) {
                _ = try await rotation.run(on: sql) { progress in
                    if progress.done == 3 { throw Interrupted() }
                }
            }
            let newID = SecretBox.Key(material: new).id
            let oldID = SecretBox.Key(material: old).id
            let keys = try await keyIDs(app)
            #expect(keys.filter { $0 == newID }.count == 3)
            #expect(keys.filter { $0 == oldID }.count == 4)

            // Mid-rotation, the key ring (new + previous) opens every row.
            var config = app.smf.config
            config.encryptionKey = new
            config.encryptionKeyPrevious = [old]
            let ring = try #require(CredentialVault(config: config))
            for id in ids {
                let row = try #require(try await Credential.find(id, on: app.db))
                #expect(try ring.open(row).reveal("bot_token") == secrets[id])
            }
            // The rerun finishes the rest only.
            let resumed = try await rotation.run(on: sql)
            #expect(resumed.reencrypted == 4 && resumed.isComplete)
            #expect(try await keyIDs(app) == Array(repeating: newID, count: 7))
            #expect(try await rotation.run(on: sql).reencrypted == 0)
        }
    }

    @Test func two_rotations_at_once_do_not_clash() async throws {
        let (old, new) = (CredentialFixtures.key(), CredentialFixtures.key())
        try await withTestApp(CredentialFixtures.withKey(old)) { app in
            let (ids, secrets) = try await seeded(app, count: 6)
            let sql = try #require(app.db as? any SQLDatabase)
            let rotation = rotation(old: old, new: new, batchSize: 3)
            async let first = rotation.run(on: sql)
            async let second = rotation.run(on: sql)
            let reports = try await [first, second]
            let handled = reports.map { $0.reencrypted + $0.changedConcurrently }.reduce(0, +)
            #expect(handled >= 6)
            #expect(reports.allSatisfy { $0.failures.isEmpty })
            let newID = SecretBox.Key(material: new).id
            #expect(try await keyIDs(app) == Array(repeating: newID, count: 6))
            var config = app.smf.config
            config.encryptionKey = new
            config.encryptionKeyPrevious = []
            let newOnly = try #require(CredentialVault(config: config))
            for id in ids {
                let row = try #require(try await Credential.find(id, on: app.db))
                #expect(try newOnly.open(row).reveal("bot_token") == secrets[id])
            }
        }
    }

    @Test func a_row_that_does_not_open_is_reported_by_id_and_left_alone() async throws {
        let (stranger, old, new) = (CredentialFixtures.key(), CredentialFixtures.key(), CredentialFixtures.key())
        try await withTestApp(CredentialFixtures.withKey(old)) { app in
            let (ids, _) = try await seeded(app, count: 3)
            // One row sealed under a key nobody configured (another installation's).
            let foreign = CredentialVault(box: SecretBox(current: .init(material: stranger)))
            let row = try #require(try await Credential.find(ids[1], on: app.db))
            let secret = CredentialFixtures.botToken()
            row.sealed = try foreign.seal(["bot_token": secret], workspaceID: row.workspaceID, credentialID: ids[1])
            row.keyID = foreign.currentKeyID
            try await row.save(on: app.db)

            let sql = try #require(app.db as? any SQLDatabase)
            let report = try await rotation(old: old, new: new).run(on: sql)
            #expect(report.reencrypted == 2)
            #expect(report.failures.map(\.id) == [ids[1]])
            #expect(report.failures.first?.table == "credentials")
            #expect(report.failures.first?.description.contains(secret) == false)
            #expect(report.remaining == ["credentials": [foreign.currentKeyID: 1]])
            #expect(!report.isComplete)
            #expect(try await Credential.find(ids[1], on: app.db)?.sealed == row.sealed)
        }
    }

    @Test func missing_tables_are_skipped() async throws {
        try await withTestApp(CredentialFixtures.withKey(CredentialFixtures.key())) { app in
            let sql = try #require(app.db as? any SQLDatabase)
            let missing = EncryptionKeyRotation.SealedColumn(table: "no_such_table", sealedColumn: "sealed") { _ in Data() }
            let rotation = EncryptionKeyRotation(box: SecretBox(current: .init(material: CredentialFixtures.key())),
                                                 columns: [.credentials, missing])
            let report = try await rotation.run(on: sql)
            #expect(report.skippedTables == ["no_such_table"])
            #expect(report.isComplete)
            #expect(try await rotation.counts(on: sql).keys.sorted() == ["credentials"])
            // The standard list includes the webhook endpoints' secrets, whether or not their table exists yet.
            #expect(EncryptionKeyRotation.SealedColumn.all.map(\.table) == ["credentials", "webhook_endpoints"])
            _ = try await EncryptionKeyRotation(box: rotation.box).run(on: sql)
        }
    }
}
