import Fluent
import Foundation
import SMFSecurity
import SQLKit

/// Re-encrypts every sealed secret under the current encryption key
/// (`smflow secrets rotate-encryption-key`).
///
/// Works over a list of sealed columns (credentials, webhook endpoints, …).
/// Rows are read in small batches in id order; each row is opened with the
/// key ring (current + previous keys), sealed again under the current key,
/// and written by its own single-statement UPDATE that only matches while
/// the row still holds the blob that was read (`WHERE id = ? AND key_id = ?
/// AND sealed = ?`). So:
/// - every row is committed on its own: a crash loses at most the row in
///   flight, and a rerun continues with what is left (it selects rows whose
///   key id is not the current one);
/// - two rotations at once, or a rotation next to an API write that replaces
///   the secrets, never overwrite each other: the slower UPDATE matches no row
///   and the row is counted as changed concurrently;
/// - a rerun after completion finds nothing to do.
/// A row that does not open (its key is not in the ring, or the blob was
/// altered or moved) is reported by table and id — never by content — and
/// left as it is.
public struct EncryptionKeyRotation: Sendable {
    /// One column of sealed secrets and how to rebuild its associated data.
    public struct SealedColumn: Sendable {
        public struct Row: Sendable {
            public let id: UUID
            public let workspaceID: UUID
        }

        public let table: String
        public let idColumn: String
        public let workspaceColumn: String
        public let sealedColumn: String
        public let keyIDColumn: String
        public let associatedData: @Sendable (Row) -> Data

        public init(table: String, idColumn: String = "id", workspaceColumn: String = "workspace_id", sealedColumn: String,
                    keyIDColumn: String = "key_id", associatedData: @escaping @Sendable (Row) -> Data) {
            self.table = table
            self.idColumn = idColumn
            self.workspaceColumn = workspaceColumn
            self.sealedColumn = sealedColumn
            self.keyIDColumn = keyIDColumn
            self.associatedData = associatedData
        }

        /// `credentials.sealed` (migration 004).
        public static let credentials = SealedColumn(table: "credentials", sealedColumn: "sealed") {
            SecretBox.credentialContext(workspaceID: $0.workspaceID, credentialID: $0.id)
        }

        /// `webhook_endpoints.sealed_secret` (migration 006): the endpoint id
        /// stands where a credential id would.
        public static let webhookEndpoints = SealedColumn(table: "webhook_endpoints", sealedColumn: "sealed_secret") {
            SecretBox.credentialContext(workspaceID: $0.workspaceID, credentialID: $0.id)
        }

        /// Every sealed column smflow has; tables not created yet are skipped.
        public static let all: [SealedColumn] = [.credentials, .webhookEndpoints]
    }

    public struct Progress: Sendable, Equatable {
        public let table: String
        /// Rows of this table handled so far (re-encrypted, failed or skipped).
        public let done: Int
        /// Rows of this table not under the current key when it was started.
        public let total: Int
    }

    /// A row that could not be re-encrypted. Never holds secret material.
    public struct RowFailure: Sendable, Equatable, CustomStringConvertible {
        public let table: String
        public let id: UUID
        public let reason: String
        public var description: String { "\(table) \(id.uuidString.lowercased()): \(reason)" }
    }

    public struct Report: Sendable {
        public var currentKeyID: String
        public var reencrypted = 0
        /// Rows another writer changed between our read and our write.
        public var changedConcurrently = 0
        public var failures: [RowFailure] = []
        /// After the run: rows per table and key id not under the current key.
        public var remaining: [String: [String: Int]] = [:]
        /// Tables skipped because they do not exist (yet).
        public var skippedTables: [String] = []

        public var remainingCount: Int { remaining.values.reduce(0) { $0 + $1.values.reduce(0, +) } }
        /// Done: nothing left under an old key and nothing failed.
        public var isComplete: Bool { remainingCount == 0 && failures.isEmpty }
    }

    public let box: SecretBox
    public let columns: [SealedColumn]
    public let batchSize: Int

    public init(box: SecretBox, columns: [SealedColumn] = SealedColumn.all, batchSize: Int = 100) {
        self.box = box
        self.columns = columns
        self.batchSize = max(1, min(batchSize, 10_000))
    }

    public init(vault: CredentialVault, columns: [SealedColumn] = SealedColumn.all, batchSize: Int = 100) {
        self.init(box: vault.box, columns: columns, batchSize: batchSize)
    }

    /// Rows per table and key id (`(none)` for rows without one), sealed rows
    /// only; tables that do not exist are left out. The dry run prints this.
    public func counts(on database: any SQLDatabase) async throws -> [String: [String: Int]] {
        var result: [String: [String: Int]] = [:]
        for column in columns where try await Self.tableExists(column.table, on: database) {
            let rows = try await database.raw("""
                SELECT \(ident: column.keyIDColumn) AS key_id, COUNT(*) AS n FROM \(ident: column.table)
                WHERE \(ident: column.sealedColumn) IS NOT NULL GROUP BY \(ident: column.keyIDColumn)
                """).all()
            var perKey: [String: Int] = [:]
            for row in rows {
                let key = try row.decodeNil(column: "key_id") ? "(none)" : try row.decode(column: "key_id", as: String.self)
                perKey[key, default: 0] += try row.decode(column: "n", as: Int.self)
            }
            result[column.table] = perKey
        }
        return result
    }

    /// Re-encrypts every row not under the current key.
    /// - Parameter progress: called after each row; a throw stops the
    ///   rotation there (rows done so far stay done) and is rethrown.
    public func run(
        on database: any SQLDatabase,
        progress: @Sendable (Progress) async throws -> Void = { _ in }
    ) async throws -> Report {
        var report = Report(currentKeyID: box.current.id)
        for column in columns {
            guard try await Self.tableExists(column.table, on: database) else {
                report.skippedTables.append(column.table)
                continue
            }
            try await rotate(column, on: database, report: &report, progress: progress)
        }
        report.remaining = try await counts(on: database).mapValues { $0.filter { $0.key != box.current.id } }
            .filter { !$0.value.isEmpty }
        return report
    }

    private struct SealedRow: Decodable {
        let id: UUID
        let workspace_id: UUID
        let sealed: String
        let key_id: String?
    }

    private func rotate(
        _ column: SealedColumn, on database: any SQLDatabase, report: inout Report,
        progress: @Sendable (Progress) async throws -> Void
    ) async throws {
        let current = box.current.id
        let total = try await database.raw("""
            SELECT COUNT(*) AS n FROM \(ident: column.table)
            WHERE \(ident: column.sealedColumn) IS NOT NULL
            AND (\(ident: column.keyIDColumn) IS NULL OR \(ident: column.keyIDColumn) <> \(bind: current))
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        var done = 0
        var after: UUID?
        while true {
            var query: SQLQueryString = """
                SELECT \(ident: column.idColumn) AS id, \(ident: column.workspaceColumn) AS workspace_id,
                \(ident: column.sealedColumn) AS sealed, \(ident: column.keyIDColumn) AS key_id
                FROM \(ident: column.table)
                WHERE \(ident: column.sealedColumn) IS NOT NULL
                AND (\(ident: column.keyIDColumn) IS NULL OR \(ident: column.keyIDColumn) <> \(bind: current))
                """
            // Keyset over the id: rows that fail stay behind, never re-read.
            if let after { query += " AND \(ident: column.idColumn) > \(bind: after)" }
            query += " ORDER BY \(ident: column.idColumn) LIMIT \(unsafeRaw: String(batchSize))"
            let rows = try await database.raw(query).all(decoding: SealedRow.self)
            guard !rows.isEmpty else { break }
            for row in rows {
                switch try await reencrypt(row, column: column, on: database) {
                case .done: report.reencrypted += 1
                case .changed: report.changedConcurrently += 1
                case .failed(let reason): report.failures.append(RowFailure(table: column.table, id: row.id, reason: reason))
                }
                done += 1
                try await progress(Progress(table: column.table, done: done, total: max(total, done)))
            }
            after = rows.last?.id
            if rows.count < batchSize { break }
        }
    }

    private enum Outcome {
        case done, changed
        case failed(String)
    }

    private func reencrypt(_ row: SealedRow, column: SealedColumn, on database: any SQLDatabase) async throws -> Outcome {
        let associatedData = column.associatedData(.init(id: row.id, workspaceID: row.workspace_id))
        let fresh: String
        if SecretBox.keyID(of: row.sealed) == box.current.id {
            // Sealed under the current key already, only the key id column
            // is behind: check it opens, then fix the column.
            do { _ = try box.open(row.sealed, associatedData: associatedData) } catch { return .failed(error.description) }
            fresh = row.sealed
        } else {
            let plaintext: Data
            do { plaintext = try box.open(row.sealed, associatedData: associatedData) } catch { return .failed(error.description) }
            fresh = try box.seal(plaintext, associatedData: associatedData)
        }
        var update: SQLQueryString = """
            UPDATE \(ident: column.table) SET \(ident: column.sealedColumn) = \(bind: fresh), \(ident: column.keyIDColumn) = \(bind: box.current.id)
            WHERE \(ident: column.idColumn) = \(bind: row.id) AND \(ident: column.sealedColumn) = \(bind: row.sealed)
            """
        if let keyID = row.key_id {
            update += " AND \(ident: column.keyIDColumn) = \(bind: keyID)"
        } else {
            update += " AND \(ident: column.keyIDColumn) IS NULL"
        }
        update += " RETURNING \(ident: column.idColumn)"
        let matched = try await database.raw(update).first()
        return matched == nil ? .changed : .done
    }

    /// Whether `table` exists (the webhook tables arrive with migration 006).
    static func tableExists(_ table: String, on database: any SQLDatabase) async throws -> Bool {
        if database.dialect.name == "sqlite" {
            return try await database.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = \(bind: table)").first() != nil
        }
        return try await database.raw("""
            SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = \(bind: table)
            """).first() != nil
    }
}

extension EncryptionKeyRotation {
    /// What `smflow secrets rotate-encryption-key` does, from a configuration:
    /// opens the database (applying migrations outside production, as the
    /// other commands do), then counts (`dryRun`) or rotates.
    public static func run(
        config: AppConfig, batchSize: Int, dryRun: Bool,
        progress: @escaping @Sendable (Progress) async throws -> Void
    ) async throws -> (counts: [String: [String: Int]], report: Report?) {
        guard let vault = CredentialVault(config: config) else { throw CredentialVault.Failure.notConfigured }
        let rotation = EncryptionKeyRotation(vault: vault, batchSize: batchSize)
        let app = try await ServerRunner.makeApplication(config: config)
        do {
            if !config.isProduction { try await app.autoMigrate() }
            guard let sql = app.db as? any SQLDatabase else { throw CredentialVault.Failure.notConfigured }
            let before = try await rotation.counts(on: sql)
            let report = dryRun ? nil : try await rotation.run(on: sql, progress: progress)
            try await app.asyncShutdown()
            return (before, report)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}
