import Foundation

/// Renders `{{placeholder}}` templates (the grammar of `TemplateSyntax`)
/// against a node's inputs and the trigger message.
///
/// Names, resolved at run time (anything else renders empty, as does a
/// path that leads nowhere):
/// - `input`, `text`: the inputs' text, several inputs joined by a newline;
///   `input.N`: the N-th input's text (0-based, in plan order).
/// - `message`, `message.a.b`: the trigger message and paths into it
///   (`message.from.username`, `message.chat.id`).
/// - `json`, `json.a.0.b`: the first input as JSON, as its source produced
///   it (a message object, an HTTP response), even when the input port
///   takes text; digits index arrays.
///
/// `inputs` are therefore the values as produced, not converted: their
/// text (`PortValue.textValue`) is what a text input receives anyway.
///
/// Rendering is one pass: a substituted value is never scanned again, so a
/// message text containing `{{message.secret}}` comes out literally (no
/// template injection), and nothing is evaluated. An `escape` function lets
/// a caller make values safe for their context (percent-encoding in a URL,
/// dropping CR/LF in a header); it sees only substituted values.
public struct TemplateRenderer: Sendable {
    public let inputs: [PortValue]
    public let message: JSONValue

    public init(inputs: [PortValue], message: JSONValue) {
        self.inputs = inputs
        self.message = message
    }

    public func render(_ template: String, escape: (String) -> String = { $0 }) -> String {
        let bytes = Array(template.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        let open = UInt8(ascii: "{")
        let close = UInt8(ascii: "}")
        while index < bytes.count {
            guard index + 1 < bytes.count, bytes[index] == open, bytes[index + 1] == open else {
                result.append(bytes[index])
                index += 1
                continue
            }
            // Find `}}` before the next `{{`; otherwise the braces are text.
            var end = index + 2
            var closed = false
            while end + 1 < bytes.count {
                if bytes[end] == close, bytes[end + 1] == close {
                    closed = true
                    break
                }
                if bytes[end] == open, bytes[end + 1] == open { break }
                end += 1
            }
            let inner = bytes[(index + 2)..<end]
            guard closed, TemplateSyntax.isName(inner) else {
                result.append(bytes[index])
                index += 1
                continue
            }
            let name = String(decoding: inner, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            result.append(contentsOf: escape(resolve(name)).utf8)
            index = end + 2
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// The text a placeholder name stands for ("" when it leads nowhere).
    public func resolve(_ name: String) -> String {
        let segments = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let root = segments.first else { return "" }
        let rest = Array(segments.dropFirst())
        switch root {
        case "input", "text":
            if rest.isEmpty { return inputText }
            guard root == "input", rest.count == 1, let position = Int(rest[0]), inputs.indices.contains(position) else {
                return ""
            }
            return inputs[position].textValue ?? ""
        case "message", "json":
            return value(at: name).map(Self.text(of:)) ?? ""
        default:
            return ""
        }
    }

    /// The JSON value a field path (`message.from.id`, `json.items.0`,
    /// `text`) names, or nil. The field paths of `route.condition` use it.
    public func value(at path: String) -> JSONValue? {
        let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let root = segments.first else { return nil }
        let base: JSONValue?
        switch root {
        case "message": base = message
        case "json": base = inputs.first?.jsonValue
        case "text", "input": base = segments.count == 1 ? .string(inputText) : nil
        default: base = nil
        }
        return segments.dropFirst().reduce(base) { current, segment in
            guard let current else { return nil }
            if case .array = current, let position = Int(segment) { return current[position] }
            return current[segment]
        }
    }

    var inputText: String {
        inputs.compactMap(\.textValue).joined(separator: "\n")
    }

    /// A JSON value as text: strings as they are, numbers in decimal,
    /// `null` empty, arrays and objects as compact JSON with sorted keys.
    public static func text(of value: JSONValue) -> String {
        switch value {
        case .null: return ""
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .number(let number):
            if number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) }
            return String(number)
        case .string(let text): return text
        case .array, .object: return compactJSON(value)
        }
    }

    /// Deterministic compact JSON (sorted keys, `/` unescaped).
    public static func compactJSON(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}
