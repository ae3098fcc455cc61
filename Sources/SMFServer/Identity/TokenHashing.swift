import Foundation
import NIOConcurrencyHelpers
import SMFSecurity
import SQLKit

/// Stored token hashes under the secret-key ring (issue 9): what new rows
/// store, and which older keys are worth a second lookup.
///
/// Per request the cost stays one HMAC and one indexed lookup under the
/// current key. Only when that misses, and some older key of the ring may
/// still be in its grace period, is there a second lookup (all candidate
/// hashes in one `IN (…)`). Which older keys may be in grace comes from a
/// copy of `secret_key_retirements` refreshed at most every
/// `refreshInterval`; it only decides whether to *try* — the second lookup
/// reads the row's retirement time from the database itself, so
/// `--retire-now` is refused by every process at once, and a stale copy
/// costs at most a query, never an acceptance.
final class TokenHashing: Sendable {
    /// A key's retirement as recorded by `smflow secrets rotate-secret-key`.
    struct Retirement: Sendable, Equatable {
        let keyID: String
        let retiresAt: Date
    }

    let ring: TokenKeyRing
    let clock: AppClock
    let refreshInterval: TimeInterval
    private let cache = NIOLockedValueBox<(fetchedAt: Date, retirements: [String: Date])?>(nil)

    init(ring: TokenKeyRing, clock: AppClock, refreshInterval: TimeInterval = 30) {
        self.ring = ring
        self.clock = clock
        self.refreshInterval = refreshInterval
    }

    var currentKeyID: String { ring.currentKeyID }

    /// The hash a new row stores, beside `currentKeyID`.
    func hash(_ token: String) -> String { ring.hash(token) }

    /// Older key ids a stored hash may still be accepted under now, by the
    /// cached retirements. Empty (no second lookup) once every older key's
    /// grace is over or when the ring has none.
    func graceCandidates(on sql: any SQLDatabase) async -> [String] {
        let older = ring.olderKeyIDs
        guard !older.isEmpty else { return [] }
        let now = clock.now()
        let retirements: [String: Date]
        if let cached = cache.withLockedValue({ $0 }), now.timeIntervalSince(cached.fetchedAt) < refreshInterval,
           now >= cached.fetchedAt {
            retirements = cached.retirements
        } else if let fresh = try? await Self.retirements(on: sql) {
            retirements = Dictionary(fresh.map { ($0.keyID, $0.retiresAt) }, uniquingKeysWith: min)
            cache.withLockedValue { $0 = (now, retirements) }
        } else {
            // Cannot read the table: try every older key; the lookup itself
            // still enforces the grace period.
            return older
        }
        return older.filter { ring.accepts(keyID: $0, retiresAt: retirements[$0], now: now) }
    }

    /// Forgets the cached retirements (after a rotation in this process).
    func invalidate() {
        cache.withLockedValue { $0 = nil }
    }

    /// Every recorded retirement.
    static func retirements(on sql: any SQLDatabase) async throws -> [Retirement] {
        struct Row: Decodable {
            let key_id: String
            let retires_at: Date
        }
        return try await sql.raw("SELECT key_id, retires_at FROM secret_key_retirements").all(decoding: Row.self)
            .map { Retirement(keyID: $0.key_id, retiresAt: $0.retires_at) }
    }

    /// The recorded retirement time of one key (nil: none recorded).
    static func retiresAt(keyID: String, on sql: any SQLDatabase) async throws -> Date? {
        try await sql.raw("SELECT retires_at FROM secret_key_retirements WHERE key_id = \(bind: keyID)")
            .first()?.decode(column: "retires_at", as: Date.self)
    }

    /// Candidate hashes of `token` under `keyIDs`, keyed by hash.
    func candidateHashes(_ token: String, keyIDs: [String]) -> [(keyID: String, hash: String)] {
        keyIDs.compactMap { id in ring.hash(token, keyID: id).map { (id, $0) } }
    }

    /// What `lookup` needs to know of a stored row.
    struct StoredHash {
        let hash: String
        let keyID: String?
        let retiresAt: Date?
    }

    /// The row of `token` — a session or an API key, each passing its own
    /// queries: under the current key (the one lookup of nearly every
    /// request), or else under an older key still in its grace period, then
    /// re-hashed under the current key so that a credential in use survives
    /// the rotation.
    func lookup<Row>(
        _ token: String, on sql: any SQLDatabase,
        current: (_ hash: String, _ keyID: String) async throws -> Row?,
        older: (_ hashes: [String]) async throws -> Row?,
        stored: (Row) -> StoredHash,
        rehash: (_ row: Row, _ newHash: String, _ keyID: String) async throws -> Void
    ) async throws -> Row? {
        if let row = try await current(hash(token), currentKeyID) {
            return row
        }
        let candidates = candidateHashes(token, keyIDs: await graceCandidates(on: sql))
        guard !candidates.isEmpty, let row = try await older(candidates.map(\.hash)) else { return nil }
        let found = stored(row)
        guard acceptsOlder(storedHash: found.hash, storedKeyID: found.keyID, retiresAt: found.retiresAt, candidates: candidates)
        else { return nil }
        try await rehash(row, hash(token), currentKeyID)
        return row
    }

    /// Whether a row found by the second lookup really is `token` under an
    /// accepted older key: its key id is one of the candidates, the hash
    /// under that key equals the stored one (constant time), and the
    /// database's retirement time for that key has not passed.
    func acceptsOlder(
        storedHash: String, storedKeyID: String?, retiresAt: Date?, candidates: [(keyID: String, hash: String)]
    ) -> Bool {
        let keyID = storedKeyID ?? TokenKeyRing.legacyKeyID
        guard let candidate = candidates.first(where: { $0.keyID == keyID }),
              ConstantTime.equals(candidate.hash, storedHash)
        else { return false }
        return ring.accepts(keyID: keyID, retiresAt: retiresAt, now: clock.now())
    }
}
