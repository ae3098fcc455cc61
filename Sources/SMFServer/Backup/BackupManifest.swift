import Crypto
import Foundation

/// What a backup holds. Sealed as the file's final record (so it is
/// authenticated with the data) and also written beside the file as
/// `NAME.json` for people and scripts (that copy is informational; verify
/// and restore use the sealed one).
public struct BackupManifest: Codable, Sendable, Equatable {
    public var formatVersion = 1
    public var database: BackupDatabaseKind
    /// When the dump was taken (UTC, ISO 8601) and the same in Unix seconds.
    public var createdAt: String
    public var createdAtUnix: Int64
    /// SHA-256 (hex) and size of the plaintext dump (pg_dump custom format,
    /// or the SQLite database file), before compression and encryption.
    public var sha256: String
    public var size: Int64
    /// The applied migrations (`_fluent_migrations`), in order: the schema version.
    public var migrations: [String]
    /// Rows per table, counted in the same snapshot as the dump.
    public var rowCounts: [String: Int64]
    /// `pg_dump (PostgreSQL) 15.x` or `SQLite 3.x online backup API`.
    public var producer: String
    /// The backup file's name (sidecar only: unknown inside the seal).
    public var file: String?
    /// Bytes of the encrypted file (sidecar only).
    public var encryptedSize: Int64?

    public var schemaVersion: String { migrations.last ?? "(none)" }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(self)
    }

    static func decode(_ data: Data) throws -> BackupManifest {
        do {
            return try JSONDecoder().decode(BackupManifest.self, from: data)
        } catch {
            throw BackupError.damaged("the manifest cannot be read")
        }
    }

    /// Tables whose count differs, as `table: expected → actual`.
    func rowCountDifferences(_ actual: [String: Int64]) -> [String] {
        Set(rowCounts.keys).union(actual.keys).sorted().compactMap { table in
            let expected = rowCounts[table], found = actual[table]
            guard expected != found else { return nil }
            return "\(table): \(expected.map(String.init) ?? "absent") → \(found.map(String.init) ?? "absent")"
        }
    }
}

/// Progress of a long operation: bytes of plaintext dump processed so far.
public typealias BackupProgress = @Sendable (Int64) -> Void

/// Compresses and encrypts a plaintext dump read from a file handle, and
/// the reverse. Memory stays at a few buffers whatever the dump's size.
enum BackupStream {
    static let readSize = 1 << 20

    struct Sealed {
        var sha256: String
        var size: Int64
        var encryptedSize: Int64
    }

    /// Reads `input` to its end, writes the sealed backup to `output`; the
    /// manifest gets the dump's digest and size filled in.
    static func seal(input: FileHandle, output: FileHandle, kind: BackupDatabaseKind, key: BackupKey,
                     chunkSize: Int = BackupFormat.defaultChunkSize,
                     manifest: (_ sha256: String, _ size: Int64) -> BackupManifest,
                     progress: BackupProgress? = nil) throws -> (Sealed, BackupManifest) {
        let writer = try BackupRecordWriter(output: output, kind: kind, key: key, chunkSize: chunkSize)
        let deflate = try ZlibStream(.compress)
        var hash = SHA256()
        var size: Int64 = 0
        while let data = try input.read(upToCount: readSize), !data.isEmpty {
            hash.update(data: data)
            size += Int64(data.count)
            try data.withUnsafeBytes { bytes in
                try deflate.process(bytes) { try writer.append($0) }
            }
            progress?(size)
        }
        try [UInt8]().withUnsafeBytes { empty in
            try deflate.process(empty, finish: true) { try writer.append($0) }
        }
        let digest = hash.finalize().map { String(format: "%02x", $0) }.joined()
        let filled = manifest(digest, size)
        try writer.finish(manifest: filled.encoded())
        return (Sealed(sha256: digest, size: size, encryptedSize: writer.bytesWritten), filled)
    }

    /// Decrypts and decompresses `input`, handing the plaintext dump to
    /// `sink` piece by piece, and checks it against the sealed manifest.
    /// Every piece is authenticated before `sink` sees it; a cut or changed
    /// file throws, but only after `sink` may have seen the pieces before the
    /// damage — callers that write somewhere that matters check first
    /// (`sink` nil: authenticate only).
    @discardableResult
    static func open(input: FileHandle, key: BackupKey, progress: BackupProgress? = nil,
                     header headerCheck: ((BackupDatabaseKind) throws -> Void)? = nil,
                     sink: ((UnsafeRawBufferPointer) throws -> Void)?) throws -> BackupManifest {
        let reader = try BackupRecordReader(input: input, key: key)
        try headerCheck?(reader.header.kind)
        let inflate = try ZlibStream(.decompress)
        var hash = SHA256()
        var size: Int64 = 0
        while let record = try reader.next() {
            switch record {
            case .data(let compressed):
                try compressed.withUnsafeBytes { bytes in
                    try inflate.process(bytes) { piece in
                        hash.update(bufferPointer: piece)
                        size += Int64(piece.count)
                        try sink?(piece)
                    }
                }
                progress?(size)
            case .final(let data):
                guard inflate.isFinished else { throw BackupError.truncated }
                let manifest = try BackupManifest.decode(data)
                guard manifest.database == reader.header.kind else { throw BackupError.damaged("the manifest and the header disagree on the database kind") }
                guard manifest.size == size else { throw BackupError.sizeMismatch(expected: manifest.size, actual: size) }
                let digest = hash.finalize().map { String(format: "%02x", $0) }.joined()
                guard digest == manifest.sha256 else { throw BackupError.checksumMismatch }
                return manifest
            }
        }
        throw BackupError.truncated
    }

    /// The kind named in a backup's header (after checking the key).
    static func kind(of path: String, key: BackupKey) throws -> BackupDatabaseKind {
        let handle = try openForReading(path)
        defer { try? handle.close() }
        return try BackupRecordReader(input: handle, key: key).header.kind
    }

    static func openForReading(_ path: String) throws -> FileHandle {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BackupError.io("cannot read \(path)") }
        return handle
    }
}
