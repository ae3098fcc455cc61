import Fluent
import Foundation
import SMFCore
import SMFSecurity
import SQLKit
import Testing
import VaporTesting
@testable import SMFServer

/// Secret-key rotation (issue 9): stored token hashes are HMACs under a key
/// derived from SMF_SECRET_KEY; tokens hashed under the previous key work
/// only during the grace period `SecretKeyRotation` records (and are
/// re-hashed on use), and are refused after it or at once with
/// `--retire-now`. Runs on SQLite and PostgreSQL.
@Suite struct SecretKeyRotationTests {
    /// Two run-time keys: the old one (tokens issued before the rotation) and the new one.
    struct Keys {
        let old = SecretValue(SecretGenerator.hexKey())
        let new = SecretValue(SecretGenerator.hexKey())
        var oldKey: TokenHashKey { TokenHashKey(material: old) }
        var newKey: TokenHashKey { TokenHashKey(material: new) }
    }

    /// A server that now runs with the new key and the old one as previous.
    func withRotatedApp(_ keys: Keys, previous: [SecretValue]? = nil, clock: ManualClock,
                        _ test: (Application) async throws -> Void) async throws {
        try await withTestApp({ config in
            config.secretKey = keys.new
            config.secretKeyPrevious = previous ?? [keys.old]
            config.corsOrigins = [CORSOrigin("https://console.example.com")!]
        }, clock: clock.clock, test)
    }

    struct Issued {
        let session: String
        let csrf: String
        let apiKey: String
        let workspacePath: String
        let sessionID: UUID
        let apiKeyID: UUID
    }

    /// A session and an API key as a server under `key` issued them (nil: the
    /// unkeyed SHA-256 of rows from before migration 008).
    func issue(under key: TokenHashKey?, app: Application) async throws -> Issued {
        let fixtures = IdentityFixtures(app: app)
        let user = try await fixtures.user("rot-\(UUID().uuidString.prefix(8))@example.com")
        let workspace = try await fixtures.workspace("Rotation")
        try await fixtures.member(user, of: workspace, as: .owner)
        let hash: (String) -> String = { key?.hash($0) ?? OpaqueToken.hash($0) }
        let keyID = key?.id ?? TokenKeyRing.legacyKeyID
        let now = app.smf.clock.now()
        let token = OpaqueToken.generate()
        let csrf = OpaqueToken.generate()
        let session = Session(userID: try user.requireID(), tokenHash: hash(token), csrfHash: hash(csrf), keyID: keyID,
                              now: now, expiresAt: now.addingTimeInterval(3600), userAgent: "test", ip: "127.0.0.1")
        try await session.save(on: app.db)
        let secret = APIKeyFormat.make(test: false)
        let apiKey = APIKey()
        apiKey.workspaceID = try workspace.requireID()
        apiKey.name = "before rotation"
        apiKey.keyHash = hash(secret)
        apiKey.hashKeyID = keyID
        apiKey.hint = String(secret.prefix(13))
        apiKey.scopes = APIKeyScope.workspaceRead.rawValue
        apiKey.isTest = false
        apiKey.createdBy = try user.requireID()
        apiKey.createdAt = now
        try await apiKey.save(on: app.db)
        return Issued(session: token, csrf: csrf, apiKey: secret, workspacePath: "api/v1/workspaces/\(try workspace.requireID().uuidString)",
                      sessionID: try session.requireID(), apiKeyID: try apiKey.requireID())
    }

    func status(_ app: Application, _ path: String, bearer: String) async throws -> HTTPStatus {
        try await app.testing().sendRequest(.GET, path, headers: .bearer(bearer)).status
    }

    func rotate(_ app: Application, grace: TimeInterval, retireNow: Bool = false, invalidate: Bool = true) async throws -> SecretKeyRotation.Report {
        let sql = try #require(app.db as? any SQLDatabase)
        let report = try await SecretKeyRotation(ring: app.smf.tokens.ring, now: app.smf.clock.now())
            .run(grace: grace, retireNow: retireNow, on: sql)
        if invalidate { app.smf.tokens.invalidate() }
        return report
    }

    @Test func new_tokens_are_hmac_under_the_current_key_with_its_id() async throws {
        let keys = Keys()
        try await withRotatedApp(keys, clock: ManualClock()) { app in
            let fixtures = IdentityFixtures(app: app)
            let password = IdentityFixtures.password()
            try await fixtures.user("hmac@example.com", password: password)
            let login = try await app.testing().sendRequest(.POST, "api/v1/auth/login", headers: .json,
                body: jsonBody(["email": "hmac@example.com", "password": password, "delivery": "bearer"]))
            let token = try #require(login.problem?["token"] as? String)
            let session = try #require(try await Session.query(on: app.db).first())
            #expect(session.tokenKeyID == keys.newKey.id && session.csrfKeyID == keys.newKey.id)
            #expect(session.tokenHash == keys.newKey.hash(token))
            #expect(session.tokenHash != OpaqueToken.hash(token))
        }
    }

    @Test func tokens_from_before_the_rotation_work_during_the_grace_period_and_are_rehashed() async throws {
        let keys = Keys()
        let clock = ManualClock()
        try await withRotatedApp(keys, clock: clock) { app in
            let issued = try await issue(under: keys.oldKey, app: app)
            // A previous key without a recorded rotation is not accepted.
            #expect(try await status(app, "api/v1/auth/me", bearer: issued.session) == .unauthorized)
            #expect(try await status(app, issued.workspacePath, bearer: issued.apiKey) == .unauthorized)

            let report = try await rotate(app, grace: 7 * 86_400)
            #expect(report.currentKeyID == keys.newKey.id)
            #expect(report.retirements.map(\.keyID).sorted() == [keys.oldKey.id, TokenKeyRing.legacyKeyID].sorted())
            #expect(report.sessionsInGrace == 1 && report.apiKeysInGrace == 1)

            clock.advance(by: 60)
            #expect(try await status(app, "api/v1/auth/me", bearer: issued.session) == .ok)
            #expect(try await status(app, issued.workspacePath, bearer: issued.apiKey) == .ok)
            let session = try #require(try await Session.find(issued.sessionID, on: app.db))
            #expect(session.tokenKeyID == keys.newKey.id && session.tokenHash == keys.newKey.hash(issued.session))
            let key = try #require(try await APIKey.find(issued.apiKeyID, on: app.db))
            #expect(key.hashKeyID == keys.newKey.id && key.keyHash == keys.newKey.hash(issued.apiKey))

            // The CSRF token under the old key still passes during the grace, and is re-hashed.
            #expect(session.csrfKeyID == keys.oldKey.id)
            let cookie: HTTPHeaders = ["Cookie": "__Host-smf_session=\(issued.session)", "Origin": "https://console.example.com",
                                       "X-CSRF-Token": issued.csrf]
            let created = try await app.testing().sendRequest(.POST, "api/v1/workspaces", headers: cookie.adding(.json),
                                                              body: jsonBody(["name": "During grace"]))
            #expect(created.status == .created)
            let after = try #require(try await Session.find(issued.sessionID, on: app.db))
            #expect(after.csrfKeyID == keys.newKey.id && after.csrfHash == keys.newKey.hash(issued.csrf))

            // Events name key ids only.
            let events = try await SecurityEvent.query(on: app.db).filter(\.$type == "secret_key.rotated").all()
            #expect(events.count == 1)
            #expect(events.first?.details.contains(keys.oldKey.id) == true)
            #expect(events.allSatisfy { !$0.details.contains(keys.old.reveal()) && !$0.details.contains(keys.new.reveal()) })
        }
    }

    @Test func tokens_under_the_old_key_are_refused_after_the_grace_period() async throws {
        let keys = Keys()
        let clock = ManualClock()
        try await withRotatedApp(keys, clock: clock) { app in
            let idle = try await issue(under: keys.oldKey, app: app)
            let active = try await issue(under: keys.oldKey, app: app)
            _ = try await rotate(app, grace: 600)
            // Used during the grace: re-hashed, so it survives.
            #expect(try await status(app, "api/v1/auth/me", bearer: active.session) == .ok)
            #expect(try await status(app, active.workspacePath, bearer: active.apiKey) == .ok)

            clock.advance(by: 601)
            #expect(try await status(app, "api/v1/auth/me", bearer: idle.session) == .unauthorized)
            #expect(try await status(app, idle.workspacePath, bearer: idle.apiKey) == .unauthorized)
            #expect(try await status(app, "api/v1/auth/me", bearer: active.session) == .ok)
            #expect(try await status(app, active.workspacePath, bearer: active.apiKey) == .ok)

            // The next run finishes the retirement: event, idle rows gone or revoked.
            let report = try await rotate(app, grace: 600)
            #expect(report.finished.sorted() == [keys.oldKey.id, TokenKeyRing.legacyKeyID].sorted())
            #expect(report.sessionsDeleted == 1 && report.apiKeysRevoked == 1)
            #expect(try await Session.find(idle.sessionID, on: app.db) == nil)
            #expect(try await APIKey.find(idle.apiKeyID, on: app.db)?.revokedAt != nil)
            #expect(try await SecurityEvent.query(on: app.db).filter(\.$type == "secret_key.retired").count() == 2)
            // Running it again never revives the key.
            #expect(report.retirements.allSatisfy { !$0.changed })
            #expect(try await status(app, idle.workspacePath, bearer: idle.apiKey) == .unauthorized)
        }
    }

    @Test func retire_now_refuses_the_old_key_at_once_in_every_process() async throws {
        let keys = Keys()
        let clock = ManualClock()
        try await withRotatedApp(keys, clock: clock) { app in
            let first = try await issue(under: keys.oldKey, app: app)
            let second = try await issue(under: keys.oldKey, app: app)
            let third = try await issue(under: keys.oldKey, app: app)
            _ = try await rotate(app, grace: 7 * 86_400)
            // This process now has "the old key is in grace" cached.
            #expect(try await status(app, "api/v1/auth/me", bearer: first.session) == .ok)
            // Another process moves the retirement to now; this one's cache is
            // not told, and the rows are still there: the lookup itself refuses.
            let sql = try #require(app.db as? any SQLDatabase)
            try await sql.raw("UPDATE secret_key_retirements SET retires_at = \(bind: clock.clock.now().addingTimeInterval(-1))").run()
            #expect(try await status(app, "api/v1/auth/me", bearer: second.session) == .unauthorized)
            #expect(try await status(app, second.workspacePath, bearer: second.apiKey) == .unauthorized)
            #expect(try await Session.find(second.sessionID, on: app.db) != nil)

            // The command's --retire-now: refused at once, rows purged.
            let report = try await rotate(app, grace: 0, retireNow: true, invalidate: false)
            #expect(report.finished.contains(keys.oldKey.id))
            #expect(try await status(app, "api/v1/auth/me", bearer: third.session) == .unauthorized)
            #expect(try await status(app, third.workspacePath, bearer: third.apiKey) == .unauthorized)
            #expect(try await Session.find(third.sessionID, on: app.db) == nil)
            // The session re-hashed during the grace lives on under the new key.
            #expect(try await status(app, "api/v1/auth/me", bearer: first.session) == .ok)
            // A longer grace afterwards does not bring the old key back.
            let again = try await rotate(app, grace: 86_400)
            #expect(again.retirements.allSatisfy { !$0.changed })
        }
    }

    @Test func retire_now_on_a_fresh_rotation() async throws {
        let keys = Keys()
        let clock = ManualClock()
        try await withRotatedApp(keys, clock: clock) { app in
            let issued = try await issue(under: keys.oldKey, app: app)
            let report = try await rotate(app, grace: 7 * 86_400, retireNow: true)
            #expect(report.retirements.allSatisfy { $0.changed && $0.retiresAt == clock.clock.now() })
            #expect(try await status(app, issued.workspacePath, bearer: issued.apiKey) == .unauthorized)
            #expect(try await SecurityEvent.query(on: app.db).filter(\.$type == "secret_key.retired").count() >= 1)
        }
    }

    @Test func a_previous_key_that_is_not_in_the_ring_cannot_be_used() async throws {
        let keys = Keys()
        let stranger = TokenHashKey(material: SecretValue(SecretGenerator.hexKey()))
        let clock = ManualClock()
        // The ring holds the new key and a different previous key, not the old one.
        try await withRotatedApp(keys, previous: [SecretValue(SecretGenerator.hexKey())], clock: clock) { app in
            let issued = try await issue(under: keys.oldKey, app: app)
            let other = try await issue(under: stranger, app: app)
            let sql = try #require(app.db as? any SQLDatabase)
            // Even a recorded grace period for those keys does not help.
            for keyID in [keys.oldKey.id, stranger.id] {
                try await sql.raw("""
                    INSERT INTO secret_key_retirements (key_id, replaced_by, recorded_at, retires_at)
                    VALUES (\(bind: keyID), \(bind: keys.newKey.id), \(bind: clock.clock.now()), \(bind: clock.clock.now().addingTimeInterval(86_400)))
                    """).run()
            }
            app.smf.tokens.invalidate()
            #expect(try await status(app, "api/v1/auth/me", bearer: issued.session) == .unauthorized)
            #expect(try await status(app, issued.workspacePath, bearer: issued.apiKey) == .unauthorized)
            #expect(try await status(app, "api/v1/auth/me", bearer: other.session) == .unauthorized)
        }
    }

    @Test func legacy_sha256_rows_work_until_the_first_rotations_grace_ends() async throws {
        let keys = Keys()
        let clock = ManualClock()
        try await withRotatedApp(keys, previous: [], clock: clock) { app in
            let legacy = try await issue(under: nil, app: app)
            // Upgrading to migration 008 signs nobody out.
            #expect(try await status(app, legacy.workspacePath, bearer: legacy.apiKey) == .ok)
            let untouched = try await issue(under: nil, app: app)
            _ = try await rotate(app, grace: 600)
            clock.advance(by: 601)
            #expect(try await status(app, "api/v1/auth/me", bearer: untouched.session) == .unauthorized)
            #expect(try await status(app, untouched.workspacePath, bearer: untouched.apiKey) == .unauthorized)
            // Used before the rotation: re-hashed then, still fine.
            #expect(try await status(app, legacy.workspacePath, bearer: legacy.apiKey) == .ok)
        }
    }

    @Test func a_retired_current_key_is_refused_by_the_command() async throws {
        let keys = Keys()
        try await withRotatedApp(keys, clock: ManualClock()) { app in
            let sql = try #require(app.db as? any SQLDatabase)
            // A second in the past: a stored time equal to "now" may read back
            // a hair later (the driver's date precision), which made this flaky.
            let retired = app.smf.clock.now().addingTimeInterval(-1)
            try await sql.raw("""
                INSERT INTO secret_key_retirements (key_id, replaced_by, recorded_at, retires_at)
                VALUES (\(bind: keys.newKey.id), \(bind: "other"), \(bind: retired), \(bind: retired))
                """).run()
            await #expect(throws: SecretKeyRotation.Failure.currentKeyRetired(keys.newKey.id)) {
                _ = try await rotate(app, grace: 600)
            }
        }
    }

    @Test func key_ids_never_leak_key_material() throws {
        for _ in 0..<20 {
            let material = SecretValue(SecretGenerator.hexKey())
            let key = TokenHashKey(material: material)
            #expect(key.id.count == 12 && key.id.allSatisfy(\.isHexDigit))
            #expect(!material.reveal().contains(key.id))
            // Not the vault's id for the same material, not a prefix of a hash made with the key.
            #expect(key.id != SecretBox.Key(material: material).id)
            #expect(!key.hash("").hasPrefix(key.id) && !key.hash(material.reveal()).hasPrefix(key.id))
            #expect(!OpaqueToken.hash(material.reveal()).hasPrefix(key.id))
        }
    }

    @Test func comparisons_stay_constant_time() throws {
        let ring = TokenKeyRing(current: TokenHashKey(material: SecretValue(SecretGenerator.hexKey())))
        let token = OpaqueToken.generate()
        let stored = ring.hash(token)
        #expect(ring.matches(token, storedHash: stored, keyID: ring.currentKeyID))
        #expect(!ring.matches(token, storedHash: String(stored.dropLast()) + (stored.last == "0" ? "1" : "0"), keyID: ring.currentKeyID))
        #expect(!ring.matches(token, storedHash: stored, keyID: "000000000000"))
        // The code paths that compare a presented token with a stored hash in
        // Swift go through ConstantTime.equals, never `==`.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let ringSource = try String(contentsOf: root.appendingPathComponent("Sources/SMFSecurity/Tokens/TokenKeyRing.swift"), encoding: .utf8)
        let hashingSource = try String(contentsOf: root.appendingPathComponent("Sources/SMFServer/Identity/TokenHashing.swift"), encoding: .utf8)
        #expect(ringSource.contains("ConstantTime.equals(computed, storedHash)"))
        #expect(hashingSource.contains("ConstantTime.equals(candidate.hash, storedHash)"))
    }

    @Test func grace_rules_of_the_ring() {
        let current = TokenHashKey(material: SecretValue(SecretGenerator.hexKey()))
        let previous = TokenHashKey(material: SecretValue(SecretGenerator.hexKey()))
        let ring = TokenKeyRing(current: current, previous: [previous])
        let now = Date()
        #expect(ring.accepts(keyID: current.id, retiresAt: now.addingTimeInterval(-1), now: now))
        #expect(ring.accepts(keyID: previous.id, retiresAt: now.addingTimeInterval(1), now: now))
        #expect(!ring.accepts(keyID: previous.id, retiresAt: now, now: now))
        #expect(!ring.accepts(keyID: previous.id, retiresAt: nil, now: now))
        #expect(ring.accepts(keyID: TokenKeyRing.legacyKeyID, retiresAt: nil, now: now))
        #expect(!ring.accepts(keyID: TokenKeyRing.legacyKeyID, retiresAt: now, now: now))
        #expect(!ring.accepts(keyID: "000000000000", retiresAt: now.addingTimeInterval(60), now: now))
        #expect(SecretKeyRotation.parseDuration("7d") == 604_800 && SecretKeyRotation.parseDuration("91d") == nil)
        #expect(SecretKeyRotation.parseDuration("x") == nil && SecretKeyRotation.parseDuration("36h") == 129_600)
    }
}
