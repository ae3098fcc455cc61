import Foundation
// SQLite's C API as compiled into sqlite-nio (symbols prefixed
// `sqlite_nio_`): the same library the server's connections use, already
// linked. SQLiteNIO exposes no online-backup call and no raw handle, so we
// open our own connections on the file. A transitive module, not a product
// of the package; see BackupCompression.swift for the same trade-off.
//
// The online backup API (sqlite3_backup_*) rather than `VACUUM INTO`: it
// copies the pages of one read transaction while the server keeps writing
// (WAL), needs no write access to the source, and the same call restores.
import VaporCSQLite

/// One SQLite connection of our own (backup, restore, counting).
final class SQLiteHandle {
    let path: String
    private(set) var db: OpaquePointer?

    init(path: String, readOnly: Bool, create: Bool = false) throws {
        self.path = path
        var flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create { flags |= SQLITE_OPEN_CREATE }
        let rc = sqlite_nio_sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_FULLMUTEX, nil)
        guard rc == SQLITE_OK, db != nil else {
            let message = db.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite_nio_sqlite3_close_v2(db)
            db = nil
            throw BackupError.sqlite("\(message) (\((path as NSString).lastPathComponent))")
        }
        // The server's writers hold locks briefly; wait instead of failing.
        sqlite_nio_sqlite3_busy_timeout(db, 10_000)
    }

    deinit {
        sqlite_nio_sqlite3_close_v2(db)
    }

    var errorMessage: String { db.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "closed" }

    func execute(_ sql: String) throws {
        let rc = sqlite_nio_sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw BackupError.sqlite(errorMessage) }
    }

    /// Rows of `sql` as text columns.
    func query(_ sql: String) throws -> [[String?]] {
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else { throw BackupError.sqlite(errorMessage) }
        defer { sqlite_nio_sqlite3_finalize(statement) }
        var rows: [[String?]] = []
        while true {
            let rc = sqlite_nio_sqlite3_step(statement)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else { throw BackupError.sqlite(errorMessage) }
            let columns = sqlite_nio_sqlite3_column_count(statement)
            rows.append((0..<columns).map { column in
                sqlite_nio_sqlite3_column_text(statement, column).map { String(cString: $0) }
            })
        }
    }

    /// Copies every page of `source` into this database with the online
    /// backup API, in one step (one read transaction on the source, so the
    /// copy is consistent however busy the server is).
    func copy(from source: SQLiteHandle) throws {
        guard let backup = sqlite_nio_sqlite3_backup_init(db, "main", source.db, "main") else {
            throw BackupError.sqlite(errorMessage)
        }
        var rc: Int32
        repeat {
            rc = sqlite_nio_sqlite3_backup_step(backup, -1)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { usleep(50_000) }
        } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
        let finish = sqlite_nio_sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE, finish == SQLITE_OK else { throw BackupError.sqlite(errorMessage) }
    }

    /// User tables (not SQLite's own), sorted.
    func tables() throws -> [String] {
        try query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").compactMap { $0.first ?? nil }
    }

    func rowCounts() throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for table in try tables() {
            let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            counts[table] = try query("SELECT count(*) FROM \(quoted)").first?.first.flatMap { $0.flatMap { Int64($0) } } ?? 0
        }
        return counts
    }

    /// Applied migrations in order; empty when Fluent's table is absent.
    func migrations() throws -> [String] {
        guard try tables().contains("_fluent_migrations") else { return [] }
        return try query("SELECT name FROM _fluent_migrations ORDER BY batch, created_at, name").compactMap { $0.first ?? nil }
    }

    static var libraryVersion: String { String(cString: sqlite_nio_sqlite3_libversion()) }
}
