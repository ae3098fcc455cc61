/// RFC 6901 JSON pointers as the validator builds and orders them.
enum JSONPointer {
    /// `base` + `/` + the escaped token (`~` → `~0`, `/` → `~1`).
    static func appending(_ base: String, _ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else {
            return base + "/" + token
        }
        return base + "/" + token.replacingOccurrences("~", "~0").replacingOccurrences("/", "~1")
    }

    static func appending(_ base: String, _ index: Int) -> String {
        base + "/" + String(index)
    }

    /// Segment-wise order with all-digit segments compared as numbers, so
    /// problems list `/nodes/2` before `/nodes/10`. A prefix comes first.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.split(separator: "/", omittingEmptySubsequences: false)
        let right = rhs.split(separator: "/", omittingEmptySubsequences: false)
        for (a, b) in zip(left, right) where a != b {
            if let x = Int(a), let y = Int(b) { return x < y }
            return a < b
        }
        return left.count < right.count
    }
}

extension String {
    /// Plain substring replacement without Foundation's option machinery.
    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var result = ""
        result.reserveCapacity(utf8.count)
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}

/// Quoting user input in problem details: at most
/// `FlowLimits.maxQuotedCharacters` characters, control characters shown as
/// `?`, in double quotes, `…` when cut.
enum Quote {
    static func user(_ text: String) -> String {
        let limit = FlowLimits.maxQuotedCharacters
        var result = "\""
        var count = 0
        for character in text {
            if count == limit {
                result += "…"
                break
            }
            let isControl = character.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
            result.append(isControl ? "?" : character)
            count += 1
        }
        return result + "\""
    }

    /// Names joined with ", " (for lists that may hold user input, such as
    /// ports named by settings), cut at the same limit.
    static func list(_ names: [String]) -> String {
        let joined = names.joined(separator: ", ")
        guard joined.count > FlowLimits.maxQuotedCharacters else { return joined }
        return String(joined.prefix(FlowLimits.maxQuotedCharacters)) + "…"
    }
}
