import Fluent
import Foundation
import SMFCore
import SMFSecurity
import SQLKit
import Testing
import VaporTesting
@testable import SMFServer

/// `smflow credentials stale` (issue 9, monthly rotation): which API keys
/// and stored credentials count as not rotated, on SQLite and PostgreSQL.
@Suite struct StaleCredentialsTests {
    @Test func lists_old_live_secrets_oldest_first_and_leaves_out_the_rest() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        try await withTestApp(clock: clock.clock) { app in
            let fixtures = IdentityFixtures(app: app)
            let owner = try await fixtures.user("stale-\(UUID().uuidString.prefix(8))@example.com")
            let workspace = try await fixtures.workspace("Stale \u{1B}[31mred")
            let workspaceID = try workspace.requireID()
            let now = clock.clock.now()
            let day: TimeInterval = 86_400

            func key(_ name: String, age days: Double, revoked: Bool = false, expiresIn: Double? = nil) async throws -> UUID {
                let key = APIKey()
                key.workspaceID = workspaceID
                key.name = name
                key.keyHash = OpaqueToken.hash(OpaqueToken.generate())
                key.hint = "smf_live_abcd"
                key.scopes = APIKeyScope.workspaceRead.rawValue
                key.isTest = false
                key.createdBy = try owner.requireID()
                key.createdAt = now.addingTimeInterval(-days * day)
                key.revokedAt = revoked ? now : nil
                key.expiresAt = expiresIn.map { now.addingTimeInterval($0 * day) }
                try await key.save(on: app.db)
                return try key.requireID()
            }
            func credential(_ name: String, created days: Double, secretSet secretDays: Double? = nil) async throws -> UUID {
                let credential = Credential(workspaceID: workspaceID, kind: CredentialKind.telegramBot.rawValue, name: name,
                                            now: now.addingTimeInterval(-days * day))
                credential.secretUpdatedAt = secretDays.map { now.addingTimeInterval(-$0 * day) }
                try await credential.save(on: app.db)
                return try credential.requireID()
            }

            let oldKey = try await key("old key", age: 120)
            _ = try await key("fresh key", age: 10)
            _ = try await key("old but revoked", age: 200, revoked: true)
            _ = try await key("old but expired", age: 200, expiresIn: -1)
            let oldExpiringLater = try await key("old, expires later", age: 95, expiresIn: 30)
            let neverRotated = try await credential("never rotated", created: 400)
            _ = try await credential("rotated lately", created: 400, secretSet: 5)
            let rotatedLongAgo = try await credential("rotated long ago", created: 400, secretSet: 91)
            _ = try await credential("new", created: 1)

            let sql = try #require(app.db as? any SQLDatabase)
            // Other suites write keys into the same PostgreSQL database at the same time.
            let items = try await StaleCredentials(days: 90, now: now).find(on: sql).filter { $0.workspaceID == workspaceID }
            #expect(items.map(\.id) == [neverRotated, oldKey, oldExpiringLater, rotatedLongAgo])
            #expect(items.map(\.ageDays) == [400, 120, 95, 91])
            #expect(items.map(\.kind) == [.credential, .apiKey, .apiKey, .credential])
            #expect(items[0].detail == "telegram.bot" && items[1].detail == "smf_live_abcd")

            // A longer threshold drops the younger ones; the boundary is exclusive of fresher secrets.
            let strict = try await StaleCredentials(days: 121, now: now).find(on: sql).filter { $0.workspaceID == workspaceID }
            #expect(strict.map(\.id) == [neverRotated])

            // The terminal line shows no escape sequence from a user-chosen name.
            let line = StaleCredentials.textLine(items[1])
            #expect(!line.contains("\u{1B}"))
            #expect(line.hasPrefix("api_key\t120d\t"))
            #expect(line.contains("Stale \u{FFFD}[31mred\told key\tsmf_live_abcd\t"))
        }
    }
}
