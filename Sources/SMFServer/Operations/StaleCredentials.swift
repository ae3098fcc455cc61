import Foundation
import SMFSecurity
import SQLKit

/// `smflow credentials stale --days N` (issue 9, the checklist's monthly
/// rotation): live API keys and stored credentials whose secret has not
/// changed for N days, oldest first.
///
/// An API key cannot be changed in place (a new one is issued and the old
/// revoked), so its age is its `created_at`. A stored credential's secret can
/// be replaced (`PUT …/credentials/{id}/secrets`), so its age is
/// `secret_updated_at`, or `created_at` when it was never replaced. Revoked
/// and expired API keys are left out: they no longer authenticate. Only
/// metadata is read — never a hash, a ciphertext or a hint beyond the one
/// the API already shows.
public struct StaleCredentials: Sendable {
    public struct Item: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable {
            case apiKey = "api_key"
            case credential
        }

        public let kind: Kind
        public let id: UUID
        public let workspaceID: UUID
        public let workspaceName: String
        /// The API key's name, or the stored credential's name.
        public let name: String
        /// The credential kind (`telegram.bot`, …) or, for an API key, its
        /// visible prefix (`smf_live_…`), as the API shows it.
        public let detail: String
        /// When the secret was last set.
        public let rotatedAt: Date
        /// Whole days since `rotatedAt`.
        public let ageDays: Int
    }

    public let days: Int
    public let now: Date

    public init(days: Int, now: Date) {
        self.days = days
        self.now = now
    }

    public var cutoff: Date { now.addingTimeInterval(-Double(days) * 86_400) }

    public func find(on sql: any SQLDatabase) async throws -> [Item] {
        struct KeyRow: Decodable {
            let id: UUID
            let workspace_id: UUID
            let workspace_name: String
            let name: String
            let hint: String
            let created_at: Date
        }
        struct CredentialRow: Decodable {
            let id: UUID
            let workspace_id: UUID
            let workspace_name: String
            let name: String
            let kind: String
            let rotated_at: Date
        }
        let keys = try await sql.raw("""
            SELECT k.id, k.workspace_id, w.name AS workspace_name, k.name, k.hint, k.created_at
            FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
            WHERE k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > \(bind: now))
            AND k.created_at < \(bind: cutoff)
            """).all(decoding: KeyRow.self)
        let credentials = try await sql.raw("""
            SELECT c.id, c.workspace_id, w.name AS workspace_name, c.name, c.kind,
            COALESCE(c.secret_updated_at, c.created_at) AS rotated_at
            FROM credentials c JOIN workspaces w ON w.id = c.workspace_id
            WHERE COALESCE(c.secret_updated_at, c.created_at) < \(bind: cutoff)
            """).all(decoding: CredentialRow.self)
        let items = keys.map {
            Item(kind: .apiKey, id: $0.id, workspaceID: $0.workspace_id, workspaceName: $0.workspace_name, name: $0.name,
                 detail: $0.hint, rotatedAt: $0.created_at, ageDays: age($0.created_at))
        } + credentials.map {
            Item(kind: .credential, id: $0.id, workspaceID: $0.workspace_id, workspaceName: $0.workspace_name, name: $0.name,
                 detail: $0.kind, rotatedAt: $0.rotated_at, ageDays: age($0.rotated_at))
        }
        return items.sorted { ($0.rotatedAt, $0.id.uuidString) < ($1.rotatedAt, $1.id.uuidString) }
    }

    private func age(_ date: Date) -> Int {
        max(0, Int(now.timeIntervalSince(date) / 86_400))
    }

    /// One tab-separated line per item for a terminal. Names come from
    /// users: control characters (a terminal escape sequence in a workspace
    /// name) are replaced, so the listing cannot rewrite the operator's screen.
    public static func textLine(_ item: Item) -> String {
        [item.kind.rawValue, String(item.ageDays) + "d", SecretKeyRotation.iso(item.rotatedAt),
         printable(item.workspaceName), printable(item.name), printable(item.detail), item.id.uuidString.lowercased()]
            .joined(separator: "\t")
    }

    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.properties.generalCategory == .control || $0.properties.generalCategory == .format ? "\u{FFFD}" : $0
        }))
    }
}

extension StaleCredentials {
    /// What the CLI runs: opens the database (migrating outside production,
    /// as the other commands do) and lists.
    public static func run(config: AppConfig, days: Int) async throws -> [Item] {
        let app = try await ServerRunner.makeApplication(config: config)
        do {
            if !config.isProduction { try await app.autoMigrate() }
            guard let sql = app.db as? any SQLDatabase else { throw SMFError.internalError }
            let items = try await StaleCredentials(days: days, now: app.smf.clock.now()).find(on: sql)
            try await app.asyncShutdown()
            return items
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}
