import Foundation
import SMFSecurity
import Testing
@testable import SMFServer

/// The sealed, streamed file format (Backup/BackupFormat.swift): every kind
/// of damage fails, and the plaintext comes back byte for byte.
@Suite struct BackupFormatTests {
    static func key() -> BackupKey {
        BackupKey(hex: (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined())!
    }

    /// Not random (compressible) but not trivial either: 3.5 MiB.
    static let dump: Data = {
        var bytes = [UInt8]()
        bytes.reserveCapacity(3_670_016)
        var state: UInt32 = 0x1234_5678
        while bytes.count < 3_670_016 {
            state = state &* 1_664_525 &+ 1_013_904_223
            bytes.append(UInt8(truncatingIfNeeded: state >> 24) & 0x3f)
        }
        return Data(bytes)
    }()

    struct Temp {
        let directory: String
        init() throws {
            directory = NSTemporaryDirectory() + "smflow-backup-format-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        func path(_ name: String) -> String { directory + "/" + name }
        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Seals `dump` (64 KiB chunks, so it makes many records) into a file.
    static func sealed(_ temp: Temp, key: BackupKey, chunkSize: Int = 64 << 10) throws -> (path: String, manifest: BackupManifest) {
        let source = temp.path("dump.bin")
        try dump.write(to: URL(fileURLWithPath: source))
        let output = temp.path("backup.smfbak")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let input = try #require(FileHandle(forReadingAtPath: source))
        let handle = try #require(FileHandle(forWritingAtPath: output))
        let (_, manifest) = try BackupStream.seal(input: input, output: handle, kind: .sqlite, key: key, chunkSize: chunkSize, manifest: { digest, size in
            BackupManifest(database: .sqlite, createdAt: "2026-12-02T00:00:00Z", createdAtUnix: 0, sha256: digest, size: size,
                           migrations: ["M1"], rowCounts: ["t": 1], producer: "test")
        })
        try handle.close()
        try input.close()
        return (output, manifest)
    }

    static func open(_ path: String, key: BackupKey) throws -> (BackupManifest, Data) {
        let handle = try #require(FileHandle(forReadingAtPath: path))
        defer { try? handle.close() }
        var plaintext = Data()
        let manifest = try BackupStream.open(input: handle, key: key, sink: { plaintext.append(contentsOf: $0) })
        return (manifest, plaintext)
    }

    static func mutate(_ path: String, _ change: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        change(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Offsets of the records: (start, type, total length).
    static func records(_ path: String) throws -> [(start: Int, type: UInt8, length: Int)] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var records: [(Int, UInt8, Int)] = []
        var offset = BackupFormat.headerSize
        while offset < bytes.count {
            let length = Int(bytes[offset + 1..<offset + 5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            records.append((offset, bytes[offset], 5 + length))
            offset += 5 + length
        }
        return records
    }

    @Test func round_trip_gives_back_the_dump_and_its_manifest() throws {
        let temp = try Temp()
        defer { temp.remove() }
        let key = Self.key()
        let (path, manifest) = try Self.sealed(temp, key: key)
        let (opened, plaintext) = try Self.open(path, key: key)
        #expect(plaintext == Self.dump)
        #expect(opened == manifest)
        #expect(opened.size == Int64(Self.dump.count))
        let records = try Self.records(path)
        // Many data records, each at most one chunk plus its tag; the manifest last.
        #expect(records.count > 3)
        #expect(records.dropLast().allSatisfy { $0.type == BackupFormat.dataRecord && $0.length <= 5 + (64 << 10) + 16 })
        #expect(records.last?.type == BackupFormat.finalRecord)
        // Compressed: the sealed file is smaller than the dump.
        let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size < Self.dump.count)
        // The plaintext is nowhere in the file.
        let file = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(file.range(of: Self.dump.prefix(64)) == nil)
    }

    @Test func one_flipped_byte_anywhere_fails() throws {
        let temp = try Temp()
        defer { temp.remove() }
        let key = Self.key()
        let (path, _) = try Self.sealed(temp, key: key)
        let pristine = try Data(contentsOf: URL(fileURLWithPath: path))
        let records = try Self.records(path)
        // Header (kind, salt, chunk size, key check), a record type, a length,
        // ciphertext of the first and of a middle record, a tag, the manifest.
        let offsets = [8, 20, 43, 50, records[1].start, records[1].start + 3, records[0].start + 100,
                       records[records.count / 2].start + 5000, records[2].start + records[2].length - 1,
                       records[records.count - 1].start + 10]
        for offset in offsets {
            try pristine.write(to: URL(fileURLWithPath: path))
            try Self.mutate(path) { $0[offset] ^= 0x01 }
            #expect(throws: BackupError.self, "flipping byte \(offset) went unnoticed") { try Self.open(path, key: key) }
        }
    }

    @Test func truncated_file_fails() throws {
        let temp = try Temp()
        defer { temp.remove() }
        let key = Self.key()
        let (path, _) = try Self.sealed(temp, key: key)
        let pristine = try Data(contentsOf: URL(fileURLWithPath: path))
        let records = try Self.records(path)
        // Mid-header, at a record boundary (the whole final record gone),
        // mid-record, and one byte short.
        for length in [30, records.last!.start, records[3].start + 77, pristine.count - 1] {
            try pristine.prefix(length).write(to: URL(fileURLWithPath: path))
            #expect(throws: BackupError.self, "a file cut at \(length) was accepted") { try Self.open(path, key: key) }
        }
        try pristine.prefix(records.last!.start).write(to: URL(fileURLWithPath: path))
        #expect(throws: BackupError.truncated) { try Self.open(path, key: key) }
    }

    @Test func reordered_dropped_or_appended_records_fail() throws {
        let temp = try Temp()
        defer { temp.remove() }
        let key = Self.key()
        let (path, _) = try Self.sealed(temp, key: key)
        let pristine = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let records = try Self.records(path)
        func slice(_ r: (start: Int, type: UInt8, length: Int)) -> [UInt8] { Array(pristine[r.start..<r.start + r.length]) }
        let head = Array(pristine[0..<BackupFormat.headerSize])

        var swapped = head + slice(records[1]) + slice(records[0])
        for record in records.dropFirst(2) { swapped += slice(record) }
        try Data(swapped).write(to: URL(fileURLWithPath: path))
        #expect(throws: BackupError.self) { try Self.open(path, key: key) }

        var dropped = head
        for (index, record) in records.enumerated() where index != 2 { dropped += slice(record) }
        try Data(dropped).write(to: URL(fileURLWithPath: path))
        #expect(throws: BackupError.self) { try Self.open(path, key: key) }

        try Data(pristine + [0]).write(to: URL(fileURLWithPath: path))
        #expect(throws: BackupError.self) { try Self.open(path, key: key) }
    }

    @Test func records_cannot_move_between_files_under_the_same_key() throws {
        let key = Self.key()
        let first = try Temp(), second = try Temp()
        defer { first.remove(); second.remove() }
        let (a, _) = try Self.sealed(first, key: key)
        let (b, _) = try Self.sealed(second, key: key)
        let bytesA = [UInt8](try Data(contentsOf: URL(fileURLWithPath: a)))
        let bytesB = [UInt8](try Data(contentsOf: URL(fileURLWithPath: b)))
        // Same dump, same key: the files still differ (own salt, so own key and nonces).
        #expect(bytesA != bytesB)
        // A's header with B's records.
        try Data(Array(bytesA[0..<BackupFormat.headerSize]) + bytesB[BackupFormat.headerSize...]).write(to: URL(fileURLWithPath: a))
        #expect(throws: BackupError.self) { try Self.open(a, key: key) }
    }

    @Test func wrong_key_is_named_as_such() throws {
        let temp = try Temp()
        defer { temp.remove() }
        let (path, _) = try Self.sealed(temp, key: Self.key())
        #expect(throws: BackupError.wrongKey) { try Self.open(path, key: Self.key()) }
    }

    @Test func not_a_backup_is_refused() throws {
        let temp = try Temp()
        defer { temp.remove() }
        try Data("SQLite format 3\0 and more bytes than a header needs, certainly more than sixty-one".utf8)
            .write(to: URL(fileURLWithPath: temp.path("x")))
        #expect(throws: BackupError.notABackup) { try Self.open(temp.path("x"), key: Self.key()) }
    }

    @Test func backup_key_must_be_64_hex_characters() {
        #expect(BackupKey(hex: String(repeating: "ab", count: 32)) != nil)
        #expect(BackupKey(hex: String(repeating: "AB", count: 32)) != nil)
        #expect(BackupKey(hex: String(repeating: "ab", count: 31)) == nil)
        #expect(BackupKey(hex: String(repeating: "zz", count: 32)) == nil)
        let loaded = ConfigLoader.load(environment: ["SMF_BACKUP_KEY": "not-hex"])
        #expect(loaded.errors.contains { $0.variable == "SMF_BACKUP_KEY" })
        #expect(!loaded.findings.contains { $0.message.contains("not-hex") })
        let good = String(repeating: "0f", count: 32)
        #expect(ConfigLoader.load(environment: ["SMF_BACKUP_KEY": good]).config.backupKey?.reveal() == good)
        #expect(ConfigLoader.load(environment: ["SMF_BACKUP_KEY_FILE": "/nonexistent"]).errors.contains { $0.variable == "SMF_BACKUP_KEY" })
        let reused = ConfigLoader.load(environment: ["SMF_BACKUP_KEY": good, "SMF_ENCRYPTION_KEY": good]).errors
        #expect(reused.contains { $0.variable == "SMF_BACKUP_KEY" && $0.rule == "secret-key.reused" })
    }
}
