import Foundation
import SMFSecurity
import Testing

/// The credential vault's sealing (issue 8, part 1): AES-256-GCM with HKDF
/// keys, random nonces, row-bound associated data and a key ring.
@Suite struct SecretBoxTests {
    /// Key material made at run time (never a literal in the repository).
    static func material() -> SecretValue { SecretValue(SecretGenerator.hexKey(byteCount: 32)) }

    let row = SecretBox.credentialContext(workspaceID: UUID(), credentialID: UUID())

    @Test func seal_then_open_round_trips() throws {
        let box = SecretBox(current: .init(material: Self.material()))
        let secret = Data("123456:telegram-bot-token".utf8)
        let sealed = try box.seal(secret, associatedData: row)
        #expect(sealed.hasPrefix("v1.\(box.current.id)."))
        #expect(!sealed.contains("telegram"))
        #expect(try box.open(sealed, associatedData: row) == secret)
    }

    @Test func every_seal_uses_a_fresh_nonce() throws {
        let box = SecretBox(current: .init(material: Self.material()))
        var nonces = Set<Data>()
        for _ in 0..<2_000 {
            let sealed = try box.seal(Data("same".utf8), associatedData: row)
            let payload = try #require(sealed.split(separator: ".").last)
            var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            nonces.insert(try #require(Data(base64Encoded: base64)).prefix(12))
        }
        #expect(nonces.count == 2_000)
    }

    @Test func a_ciphertext_moved_to_another_row_does_not_open() throws {
        let box = SecretBox(current: .init(material: Self.material()))
        let sealed = try box.seal(Data("secret".utf8), associatedData: row)
        let otherRow = SecretBox.credentialContext(workspaceID: UUID(), credentialID: UUID())
        #expect(throws: SecretBox.OpenError.notAuthentic) { try box.open(sealed, associatedData: otherRow) }
    }

    @Test func altered_bytes_and_garbage_are_refused() throws {
        let box = SecretBox(current: .init(material: Self.material()))
        let sealed = try box.seal(Data("secret".utf8), associatedData: row)
        var altered = Array(sealed)
        let last = altered.count - 3
        altered[last] = altered[last] == "A" ? "B" : "A"
        #expect(throws: SecretBox.OpenError.notAuthentic) { try box.open(String(altered), associatedData: row) }
        for garbage in ["", "v1", "v2.\(box.current.id).AAAA", "v1.\(box.current.id).", "v1.\(box.current.id).AAAA", "v1.x.y.z"] {
            #expect(throws: SecretBox.OpenError.malformed) { try box.open(garbage, associatedData: row) }
        }
    }

    @Test func rotation_reads_old_keys_and_writes_with_the_new_one() throws {
        let old = SecretBox.Key(material: Self.material())
        let new = SecretBox.Key(material: Self.material())
        #expect(old.id != new.id)
        let sealedOld = try SecretBox(current: old).seal(Data("v1 secret".utf8), associatedData: row)
        let ring = SecretBox(current: new, previous: [old])
        #expect(try ring.open(sealedOld, associatedData: row) == Data("v1 secret".utf8))
        #expect(SecretBox.keyID(of: try ring.seal(Data("x".utf8), associatedData: row)) == new.id)
        // Once the old key is retired, its ciphertexts are refused as such.
        #expect(throws: SecretBox.OpenError.unknownKey) { try SecretBox(current: new).open(sealedOld, associatedData: row) }
    }

    @Test func the_same_material_gives_the_same_key_and_id() throws {
        let material = Self.material()
        let sealed = try SecretBox(current: .init(material: material)).seal(Data("x".utf8), associatedData: row)
        let again = SecretBox(current: .init(material: material))
        #expect(try again.open(sealed, associatedData: row) == Data("x".utf8))
        // The id is 12 hex characters and is not a prefix of the material.
        #expect(again.current.id.count == 12)
        #expect(!material.reveal().hasPrefix(again.current.id))
    }
}
