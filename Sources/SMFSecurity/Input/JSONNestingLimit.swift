/// Bounds how deeply a JSON document nests, before any parser sees it.
///
/// Deep nesting (`[[[[…`) costs a recursive parser stack and time; a single
/// linear scan over the raw bytes is cheap and cannot itself be driven deep.
public enum JSONNestingLimit {
    /// Whether `bytes` nests arrays/objects deeper than `maximumDepth`.
    /// Brackets inside strings (including escaped quotes) are ignored.
    /// Malformed JSON is not judged here — the parser rejects it afterwards.
    public static func exceeds(_ bytes: some Sequence<UInt8>, maximumDepth: Int) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumDepth { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
            default:
                break
            }
        }
        return false
    }
}
