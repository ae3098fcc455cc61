/// The limits that hold anywhere in the document: string (and key) sizes
/// and nesting depth. One pass over the whole value, recursion bounded by
/// `FlowLimits.maxDepth`.
extension ValidationRun {
    /// A pointer path built only when a problem is reported.
    struct Path {
        enum Token {
            case key(String)
            case index(Int)
        }

        var tokens: [Token] = []
        /// Tokens past this count are not rendered: a key too long to quote
        /// in a pointer pins the pointer at its object.
        var pinnedAt: Int?

        var pointer: String {
            var text = ""
            for token in tokens.prefix(pinnedAt ?? tokens.count) {
                switch token {
                case .key(let key): text = JSONPointer.appending(text, key)
                case .index(let index): text = JSONPointer.appending(text, index)
                }
            }
            return text
        }
    }

    mutating func checkStringsAndDepth(_ value: JSONValue) {
        var path = Path()
        walk(value, depth: 1, path: &path)
    }

    private mutating func walk(_ value: JSONValue, depth: Int, path: inout Path) {
        switch value {
        case .string(let text):
            if text.utf8.count > FlowLimits.maxStringBytes {
                error(path.pointer, FlowProblem.Code.stringTooLong, "the string has \(text.utf8.count) bytes of UTF-8; at most \(FlowLimits.maxStringBytes) are allowed")
            }
        case .array(let elements):
            guard deepEnough(depth, path) else { return }
            for (index, element) in elements.enumerated() where element.isContainerOrString {
                path.tokens.append(.index(index))
                walk(element, depth: depth + 1, path: &path)
                path.tokens.removeLast()
            }
        case .object(let members):
            guard deepEnough(depth, path) else { return }
            for (key, member) in members {
                let keyBytes = key.utf8.count
                if keyBytes > FlowLimits.maxStringBytes {
                    error(path.pointer, FlowProblem.Code.stringTooLong, "an object key has \(keyBytes) bytes of UTF-8; at most \(FlowLimits.maxStringBytes) are allowed")
                }
                guard member.isContainerOrString else { continue }
                let pins = path.pinnedAt == nil && keyBytes > FlowLimits.maxQuotedCharacters
                if pins { path.pinnedAt = path.tokens.count }
                path.tokens.append(.key(key))
                walk(member, depth: depth + 1, path: &path)
                path.tokens.removeLast()
                if pins { path.pinnedAt = nil }
            }
        case .null, .bool, .integer, .number:
            return
        }
    }

    /// Reports a container nested deeper than the limit (and so stops there).
    private mutating func deepEnough(_ depth: Int, _ path: Path) -> Bool {
        guard depth > FlowLimits.maxDepth else { return true }
        error(path.pointer, FlowProblem.Code.nestingTooDeep, "containers are nested more than \(FlowLimits.maxDepth) deep here")
        return false
    }
}

extension JSONValue {
    var isContainerOrString: Bool {
        switch self {
        case .string, .array, .object: return true
        case .null, .bool, .integer, .number: return false
        }
    }
}
