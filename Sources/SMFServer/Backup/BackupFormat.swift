import Crypto
import Foundation
import SMFSecurity

// The encrypted backup file (issue 9). Streamed: a backup of any size is
// written and read with a few MiB of memory.
//
//   header   "SMFBKP1\n" (8) | kind (1: 1 PostgreSQL, 2 SQLite) | salt (32)
//            | chunk size (4, big-endian) | key check (16)           = 61 bytes
//   records  type (1: 0 data, 1 final) | length (4, BE) | ciphertext+tag
//
// Every record is AES-256-GCM under a key derived for this file alone
// (HKDF-SHA256 of SMF_BACKUP_KEY with the file's random salt), with the
// record's index as nonce, and the header, the index and the type as
// additional authenticated data. So a changed byte anywhere fails
// authentication, records cannot be reordered, dropped, or moved to another
// file, and cutting the file short is detected: the last record must be the
// final one (the manifest), and nothing may follow it. Data records carry the
// deflate-compressed dump in chunks of `chunkSize` bytes.

/// The 32-byte key backups are sealed with (`SMF_BACKUP_KEY`, 64 hex characters).
public struct BackupKey: Sendable {
    let key: SymmetricKey

    /// nil unless `hex` is exactly 64 hexadecimal characters.
    public init?(hex: String) {
        let text = Array(hex.utf8)
        guard text.count == 64 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = Self.nibble(text[index]), let low = Self.nibble(text[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        key = SymmetricKey(data: bytes)
    }

    public init(secret: SecretValue) throws {
        guard let key = BackupKey(hex: secret.reveal()) else { throw BackupError.keyInvalid }
        self = key
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    func derived(salt: [UInt8], purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, salt: salt, info: Data("smflow-backup-v1 \(purpose)".utf8), outputByteCount: 32)
    }
}

/// The database a backup holds.
public enum BackupDatabaseKind: String, Codable, Sendable, CaseIterable {
    case postgres, sqlite

    var code: UInt8 {
        switch self {
        case .postgres: 1
        case .sqlite: 2
        }
    }

    init?(code: UInt8) {
        switch code {
        case 1: self = .postgres
        case 2: self = .sqlite
        default: return nil
        }
    }
}

enum BackupFormat {
    static let magic: [UInt8] = Array("SMFBKP1\n".utf8)
    static let headerSize = 61
    static let defaultChunkSize = 1 << 20
    /// The largest chunk size a reader accepts (bounds the memory a crafted file can ask for).
    static let maxChunkSize = 16 << 20
    static let tagSize = 16
    static let dataRecord: UInt8 = 0
    static let finalRecord: UInt8 = 1
    /// The manifest record is small; refuse anything much larger.
    static let maxManifestSize = 4 << 20

    struct Header {
        let kind: BackupDatabaseKind
        let salt: [UInt8]
        let chunkSize: Int
        let keyCheck: [UInt8]
        let bytes: [UInt8]

        static func make(kind: BackupDatabaseKind, key: BackupKey, chunkSize: Int) -> (Header, SymmetricKey) {
            var salt = [UInt8](repeating: 0, count: 32)
            var generator = SystemRandomNumberGenerator()
            for i in salt.indices { salt[i] = generator.next() }
            let check = Self.keyCheck(key: key, salt: salt)
            var bytes = magic
            bytes.append(kind.code)
            bytes += salt
            bytes += withUnsafeBytes(of: UInt32(chunkSize).bigEndian, Array.init)
            bytes += check
            return (Header(kind: kind, salt: salt, chunkSize: chunkSize, keyCheck: check, bytes: bytes),
                    key.derived(salt: salt, purpose: "aes-256-gcm"))
        }

        /// Parses and checks the header; returns the file's record key.
        static func read(_ bytes: [UInt8], key: BackupKey) throws -> (Header, SymmetricKey) {
            guard bytes.count == headerSize, Array(bytes[0..<8]) == magic else { throw BackupError.notABackup }
            guard let kind = BackupDatabaseKind(code: bytes[8]) else { throw BackupError.notABackup }
            let salt = Array(bytes[9..<41])
            let chunkSize = Int(bytes[41..<45].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            guard (1...maxChunkSize).contains(chunkSize) else { throw BackupError.damaged("the header names an impossible chunk size") }
            let check = Array(bytes[45..<61])
            // Not secret (it is in the file), but compared without an early exit anyway.
            let expected = Self.keyCheck(key: key, salt: salt)
            guard zip(check, expected).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0 else { throw BackupError.wrongKey }
            return (Header(kind: kind, salt: salt, chunkSize: chunkSize, keyCheck: check, bytes: bytes),
                    key.derived(salt: salt, purpose: "aes-256-gcm"))
        }

        /// Tells a wrong key from a damaged file without decrypting anything.
        static func keyCheck(key: BackupKey, salt: [UInt8]) -> [UInt8] {
            let mac = HMAC<SHA256>.authenticationCode(for: Data("key check".utf8), using: key.derived(salt: salt, purpose: "key-check"))
            return Array(mac.prefix(16))
        }
    }

    static func nonce(_ index: UInt64) throws -> AES.GCM.Nonce {
        try AES.GCM.Nonce(data: [0, 0, 0, 0] + withUnsafeBytes(of: index.bigEndian, Array.init))
    }

    static func aad(_ header: Header, index: UInt64, type: UInt8) -> [UInt8] {
        header.bytes + withUnsafeBytes(of: index.bigEndian, Array.init) + [type]
    }
}

/// Seals compressed bytes into records and writes them to `output`.
final class BackupRecordWriter {
    private let output: FileHandle
    private let header: BackupFormat.Header
    private let key: SymmetricKey
    private var buffer = [UInt8]()
    private var index: UInt64 = 0
    private(set) var bytesWritten: Int64 = 0

    init(output: FileHandle, kind: BackupDatabaseKind, key: BackupKey, chunkSize: Int = BackupFormat.defaultChunkSize) throws {
        self.output = output
        (header, self.key) = BackupFormat.Header.make(kind: kind, key: key, chunkSize: chunkSize)
        buffer.reserveCapacity(chunkSize)
        try output.write(contentsOf: header.bytes)
        bytesWritten = Int64(header.bytes.count)
    }

    /// Adds compressed bytes; full chunks are sealed and written at once.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = min(header.chunkSize - buffer.count, rest.count)
            buffer += rest.prefix(take)
            rest = rest.dropFirst(take)
            if buffer.count == header.chunkSize { try flush() }
        }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try seal(buffer, type: BackupFormat.dataRecord)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the last data chunk and the final record (the manifest).
    func finish(manifest: Data) throws {
        try flush()
        try seal(Array(manifest), type: BackupFormat.finalRecord)
    }

    private func seal(_ plaintext: [UInt8], type: UInt8) throws {
        let box = try AES.GCM.seal(plaintext, using: key, nonce: BackupFormat.nonce(index),
                                   authenticating: BackupFormat.aad(header, index: index, type: type))
        var record = [type]
        let length = UInt32(box.ciphertext.count + BackupFormat.tagSize)
        record += withUnsafeBytes(of: length.bigEndian, Array.init)
        record += box.ciphertext
        record += box.tag
        try output.write(contentsOf: record)
        bytesWritten += Int64(record.count)
        index += 1
    }
}

/// Reads and authenticates the records of a backup file, in order.
final class BackupRecordReader {
    enum Record {
        case data([UInt8])
        case final(Data)
    }

    private let input: FileHandle
    let header: BackupFormat.Header
    private let key: SymmetricKey
    private var index: UInt64 = 0
    private var finished = false
    private(set) var bytesRead: Int64 = 0

    init(input: FileHandle, key: BackupKey) throws {
        self.input = input
        let bytes = try Self.readExactly(input, BackupFormat.headerSize)
        guard let bytes else { throw BackupError.notABackup }
        (header, self.key) = try BackupFormat.Header.read(bytes, key: key)
        bytesRead = Int64(bytes.count)
    }

    /// The next record, opened and authenticated; nil after the final one
    /// (which must also be the end of the file).
    func next() throws -> Record? {
        if finished { return nil }
        guard let prefix = try Self.readExactly(input, 5) else {
            throw BackupError.truncated
        }
        let type = prefix[0]
        let length = Int(prefix[1..<5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        let limit = type == BackupFormat.finalRecord ? BackupFormat.maxManifestSize : header.chunkSize
        guard type == BackupFormat.dataRecord || type == BackupFormat.finalRecord,
              length >= BackupFormat.tagSize, length <= limit + BackupFormat.tagSize else {
            throw BackupError.damaged("record \(index) has an invalid type or length")
        }
        guard let sealed = try Self.readExactly(input, length) else { throw BackupError.truncated }
        bytesRead += Int64(5 + length)
        let plaintext: [UInt8]
        do {
            let box = try AES.GCM.SealedBox(nonce: BackupFormat.nonce(index), ciphertext: sealed.dropLast(BackupFormat.tagSize),
                                            tag: sealed.suffix(BackupFormat.tagSize))
            plaintext = Array(try AES.GCM.open(box, using: key, authenticating: BackupFormat.aad(header, index: index, type: type)))
        } catch {
            throw BackupError.damaged("record \(index) fails authentication (changed, reordered or from another file)")
        }
        index += 1
        if type == BackupFormat.finalRecord {
            finished = true
            if let extra = try input.read(upToCount: 1), !extra.isEmpty {
                throw BackupError.damaged("data after the final record")
            }
            return .final(Data(plaintext))
        }
        return .data(plaintext)
    }

    /// Exactly `count` bytes, nil at a clean end of file, `.truncated` in between.
    static func readExactly(_ handle: FileHandle, _ count: Int) throws -> [UInt8]? {
        var result = [UInt8]()
        result.reserveCapacity(count)
        while result.count < count {
            guard let data = try handle.read(upToCount: count - result.count), !data.isEmpty else {
                if result.isEmpty { return nil }
                throw BackupError.truncated
            }
            result += data
        }
        return result
    }
}
