import Fluent
import Foundation
import SMFSecurity
import SQLKit

/// `smflow secrets rotate-secret-key` (issue 9): records in the database
/// when each older signing key stops being accepted, so every app process
/// retires it at the same moment.
///
/// The operator has put the new key in `SMF_SECRET_KEY` and the old one(s)
/// in `SMF_SECRET_KEY_PREVIOUS`. For each previous key, and for the legacy
/// unkeyed SHA-256 of rows from before migration 008, a row in
/// `secret_key_retirements` gets `retires_at = now + grace` (`--retire-now`:
/// now). A recorded time only ever moves earlier: running the command again
/// cannot revive a retired key. Every run also finishes retirements whose
/// time has come: one `secret_key.retired` event per key, its sessions
/// deleted and its API keys revoked (they can no longer authenticate).
public struct SecretKeyRotation: Sendable {
    public struct Retirement: Sendable, Equatable {
        /// The key's public id (never key material).
        public let keyID: String
        public let retiresAt: Date
        /// Whether the retirement time was set by this run (false: an
        /// earlier, sooner time was kept).
        public let changed: Bool
    }

    public struct Report: Sendable {
        public var currentKeyID: String
        public var retirements: [Retirement] = []
        /// Keys whose grace ended and were finished by this run.
        public var finished: [String] = []
        public var sessionsDeleted = 0
        public var apiKeysRevoked = 0
        /// Rows still under a key in its grace period.
        public var sessionsInGrace = 0
        public var apiKeysInGrace = 0
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case noSecretKey
        case currentKeyRetired(String)

        public var description: String {
            switch self {
            case .noSecretKey:
                "SMF_SECRET_KEY is not set; put the new key there and the old one in SMF_SECRET_KEY_PREVIOUS"
            case .currentKeyRetired(let id):
                "SMF_SECRET_KEY (key id \(id)) was retired by an earlier rotation; generate a new key with `smflow secrets generate`"
            }
        }
    }

    public let ring: TokenKeyRing
    public let now: Date

    public init(ring: TokenKeyRing, now: Date) {
        self.ring = ring
        self.now = now
    }

    /// Records the rotation and finishes due retirements.
    public func run(grace: TimeInterval, retireNow: Bool, on sql: any SQLDatabase) async throws -> Report {
        guard let current = ring.current else { throw Failure.noSecretKey }
        if let retired = try await TokenHashing.retiresAt(keyID: current.id, on: sql), retired <= now {
            throw Failure.currentKeyRetired(current.id)
        }
        var report = Report(currentKeyID: current.id)
        let target = retireNow ? now : now.addingTimeInterval(max(0, grace))
        for keyID in ring.olderKeyIDs {
            let existing = try await TokenHashing.retiresAt(keyID: keyID, on: sql)
            if let existing, existing <= target {
                report.retirements.append(Retirement(keyID: keyID, retiresAt: existing, changed: false))
                continue
            }
            if existing == nil {
                try await sql.raw("""
                    INSERT INTO secret_key_retirements (key_id, replaced_by, recorded_at, retires_at)
                    VALUES (\(bind: keyID), \(bind: current.id), \(bind: now), \(bind: target))
                    """).run()
            } else {
                try await sql.raw("""
                    UPDATE secret_key_retirements SET retires_at = \(bind: target), replaced_by = \(bind: current.id),
                    recorded_at = \(bind: now) WHERE key_id = \(bind: keyID) AND retires_at > \(bind: target)
                    """).run()
            }
            report.retirements.append(Retirement(keyID: keyID, retiresAt: target, changed: true))
        }
        let changed = report.retirements.filter(\.changed)
        if !changed.isEmpty {
            try await Self.recordEvent(
                retireNow ? SecurityEventType.secretKeyRetired.rawValue : SecurityEventType.secretKeyRotated.rawValue,
                details: ["current_key_id": current.id, "retiring_key_ids": changed.map(\.keyID).joined(separator: ","),
                          "retires_at": Self.iso(target), "immediate": retireNow ? "true" : "false"],
                now: now, on: sql)
        }
        try await finishDue(&report, on: sql)
        for retirement in report.retirements where retirement.retiresAt > now {
            report.sessionsInGrace += try await Self.count("sessions", "token_key_id", retirement.keyID, on: sql)
            report.apiKeysInGrace += try await Self.count("api_keys", "hash_key_id", retirement.keyID, on: sql, liveOnly: true)
        }
        return report
    }

    /// Retirements whose time has passed and were not finished yet: event,
    /// delete the sessions, revoke the API keys hashed under the key.
    private func finishDue(_ report: inout Report, on sql: any SQLDatabase) async throws {
        struct Row: Decodable {
            let key_id: String
        }
        let due = try await sql.raw("""
            SELECT key_id FROM secret_key_retirements
            WHERE retires_at <= \(bind: now) AND retired_recorded_at IS NULL ORDER BY key_id
            """).all(decoding: Row.self)
        for row in due where row.key_id != ring.currentKeyID {
            let sessions = try await Self.count("sessions", "token_key_id", row.key_id, on: sql)
            let keys = try await Self.count("api_keys", "hash_key_id", row.key_id, on: sql, liveOnly: true)
            try await sql.raw("DELETE FROM sessions WHERE COALESCE(token_key_id, 'sha256') = \(bind: row.key_id)").run()
            try await sql.raw("""
                UPDATE api_keys SET revoked_at = \(bind: now) WHERE COALESCE(hash_key_id, 'sha256') = \(bind: row.key_id) AND revoked_at IS NULL
                """).run()
            try await sql.raw("""
                UPDATE secret_key_retirements SET retired_recorded_at = \(bind: now) WHERE key_id = \(bind: row.key_id)
                """).run()
            try await Self.recordEvent(
                SecurityEventType.secretKeyRetired.rawValue,
                details: ["key_id": row.key_id, "sessions_deleted": String(sessions), "api_keys_revoked": String(keys)],
                now: now, on: sql)
            report.finished.append(row.key_id)
            report.sessionsDeleted += sessions
            report.apiKeysRevoked += keys
        }
    }

    private static func count(_ table: String, _ column: String, _ keyID: String, on sql: any SQLDatabase, liveOnly: Bool = false) async throws -> Int {
        var query: SQLQueryString = "SELECT COUNT(*) AS n FROM \(ident: table) WHERE COALESCE(\(ident: column), 'sha256') = \(bind: keyID)"
        if liveOnly { query += " AND revoked_at IS NULL" }
        return try await sql.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// A security event written by an operator command (no request: the
    /// address is `cli`).
    static func recordEvent(_ type: String, details: [String: String], now: Date, on sql: any SQLDatabase) async throws {
        let text = (try? String(decoding: JSONEncoder.sorted.encode(details), as: UTF8.self)) ?? "{}"
        try await sql.raw("""
            INSERT INTO security_events (id, occurred_at, type, outcome, ip, user_agent, request_id, details)
            VALUES (\(bind: UUID()), \(bind: now), \(bind: type), \(bind: "success"), \(bind: "cli"), \(bind: "smflow"),
            \(bind: ""), \(bind: text))
            """).run()
    }

    public static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}

extension SecretKeyRotation {
    /// What the CLI runs: opens the database (migrating outside production,
    /// as the other commands do) and rotates.
    public static func run(config: AppConfig, grace: TimeInterval, retireNow: Bool) async throws -> Report {
        let ring = TokenKeyRing(config: config)
        guard ring.current != nil else { throw Failure.noSecretKey }
        let app = try await ServerRunner.makeApplication(config: config)
        do {
            if !config.isProduction { try await app.autoMigrate() }
            guard let sql = app.db as? any SQLDatabase else { throw Failure.noSecretKey }
            let report = try await SecretKeyRotation(ring: ring, now: app.smf.clock.now()).run(grace: grace, retireNow: retireNow, on: sql)
            try await app.asyncShutdown()
            return report
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    /// `7d`, `36h`, `90m`, `0` → seconds; nil for anything else or more than 90 days.
    public static func parseDuration(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed == "0" { return 0 }
        guard let unit = trimmed.last, let value = Int(trimmed.dropLast()), value >= 0 else { return nil }
        let seconds: Int
        switch unit {
        case "d": seconds = value * 86_400
        case "h": seconds = value * 3_600
        case "m": seconds = value * 60
        case "s": seconds = value
        default: return nil
        }
        return seconds <= 90 * 86_400 ? TimeInterval(seconds) : nil
    }
}
