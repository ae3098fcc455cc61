import Crypto

/// Random secrets from the operating system's CSPRNG (via swift-crypto's
/// `SymmetricKey`, which reads the system generator).
public enum SecretGenerator {
    /// `byteCount` random bytes as lowercase hex — what `openssl rand -hex 32`
    /// prints for the default of 32 bytes (256 bits).
    public static func hexKey(byteCount: Int = 32) -> String {
        let key = SymmetricKey(size: SymmetricKeySize(bitCount: byteCount * 8))
        return key.withUnsafeBytes { bytes in
            bytes.map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
        }
    }
}
