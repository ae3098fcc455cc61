import Foundation

/// Why a backup, verification or restore failed. The texts name files,
/// tables and tools, never key material or passwords.
public enum BackupError: Error, Equatable, CustomStringConvertible {
    case keyMissing
    case keyInvalid
    case notABackup
    case wrongKey
    case damaged(String)
    case truncated
    case checksumMismatch
    case sizeMismatch(expected: Int64, actual: Int64)
    case rowCountMismatch([String])
    case kindMismatch(backup: BackupDatabaseKind, target: BackupDatabaseKind)
    case inMemoryDatabase
    case databaseNotEmpty(String)
    case toolMissing(String)
    case toolFailed(tool: String, status: Int32, message: String)
    case sqlite(String)
    case io(String)
    case invalidURL

    public var description: String {
        switch self {
        case .keyMissing:
            "SMF_BACKUP_KEY is not set (64 hex characters, e.g. from `smflow secrets generate`; or SMF_BACKUP_KEY_FILE)"
        case .keyInvalid:
            "SMF_BACKUP_KEY must be exactly 64 hexadecimal characters (32 bytes)"
        case .notABackup:
            "not an smflow backup file (bad or missing header)"
        case .wrongKey:
            "the backup was sealed with another key: SMF_BACKUP_KEY does not match"
        case .damaged(let detail):
            "the backup is damaged or was tampered with: \(detail)"
        case .truncated:
            "the backup is truncated: it ends before its final record"
        case .checksumMismatch:
            "the decrypted dump does not match the SHA-256 in its manifest"
        case .sizeMismatch(let expected, let actual):
            "the decrypted dump has \(actual) bytes, its manifest says \(expected)"
        case .rowCountMismatch(let tables):
            "row counts differ from the manifest: \(tables.joined(separator: ", "))"
        case .kindMismatch(let backup, let target):
            "the backup holds a \(backup.rawValue) database, the target is \(target.rawValue)"
        case .inMemoryDatabase:
            "an in-memory SQLite database cannot be backed up; point DATABASE_URL at a file"
        case .databaseNotEmpty(let detail):
            "the target database is not empty (\(detail)); restore into an empty database, or pass --force to replace its contents"
        case .toolMissing(let tool):
            "\(tool) not found (install postgresql-client, or set SMF_PG_BIN to the directory holding it)"
        case .toolFailed(let tool, let status, let message):
            "\(tool) failed (exit \(status))\(message.isEmpty ? "" : ": \(message)")"
        case .sqlite(let message):
            "SQLite: \(message)"
        case .io(let message):
            message
        case .invalidURL:
            "the database URL is not a postgres:// URL with a user, or a sqlite:// path"
        }
    }
}
