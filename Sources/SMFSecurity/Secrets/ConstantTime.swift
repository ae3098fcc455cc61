/// Comparisons of secrets whose running time does not depend on where the
/// inputs first differ, so an attacker cannot learn a secret byte by byte
/// from response times.
public enum ConstantTime {
    /// Compares two byte sequences. The loop always runs over the longer
    /// input; only the lengths (which are not secret for our tokens and keys)
    /// influence the time taken.
    public static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        let left = Array(lhs)
        let right = Array(rhs)
        var difference: UInt8 = left.count == right.count ? 0 : 1
        let length = max(left.count, right.count)
        for index in 0..<length {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }

    public static func equals(_ lhs: String, _ rhs: String) -> Bool {
        equals(Array(lhs.utf8), Array(rhs.utf8))
    }
}
