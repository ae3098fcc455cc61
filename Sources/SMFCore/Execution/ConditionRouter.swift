/// `route.condition`: compares the field `field` with `value` and sends the
/// message to `true` or `false`.
///
/// - The field is a path (`message.from.id`, `text`, `json.a.b`) resolved
///   like a template placeholder (`TemplateRenderer.value(at:)`).
/// - A missing field (or `null`) makes every operator false except
///   `not_equals` (true) and, of course, `exists` (false).
/// - `equals` / `not_equals`: numerically when both sides are numbers
///   (JSON numbers or decimal strings like `"42"`, `"-1.5e3"`), else as
///   text; case-sensitive.
/// - `contains`, `starts_with`, `ends_with`: on the field's text
///   (`TemplateRenderer.text(of:)`), case-sensitive.
/// - `greater_than`, `less_than`: numeric only; false when either side is
///   not a number. Two integers compare exactly (Telegram ids exceed what
///   a Double holds exactly); otherwise as Doubles.
public struct ConditionRouter: Sendable {
    public let field: String
    public let op: String
    public let value: JSONValue?

    public init(settings: [String: JSONValue]) {
        field = settings["field"]?.stringValue ?? ""
        op = settings["operator"]?.stringValue ?? ""
        value = Self.present(settings["value"])
    }

    /// Whether the condition holds for this input and trigger message.
    public func holds(in context: TemplateRenderer) throws(RouterError) -> Bool {
        let found = Self.present(context.value(at: field))
        if op == "exists" { return found != nil }
        guard let found else { return op == "not_equals" }
        let expected = value ?? .null
        switch op {
        case "equals": return Self.equal(found, expected)
        case "not_equals": return !Self.equal(found, expected)
        case "contains": return TemplateRenderer.text(of: found).contains(TemplateRenderer.text(of: expected))
        case "starts_with": return TemplateRenderer.text(of: found).hasPrefix(TemplateRenderer.text(of: expected))
        case "ends_with": return TemplateRenderer.text(of: found).hasSuffix(TemplateRenderer.text(of: expected))
        case "greater_than": return Self.compare(found, expected) == .some(.orderedDescending)
        case "less_than": return Self.compare(found, expected) == .some(.orderedAscending)
        default: throw RouterError("unknown operator \(Quote.user(op))")
        }
    }

    /// Nil for absent or `null`. (Spelled out: in a closure returning
    /// `JSONValue`, a `nil` literal would become `.null`.)
    static func present(_ value: JSONValue?) -> JSONValue? {
        guard let value, !value.isNull else { return nil }
        return value
    }

    static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        if let order = compare(lhs, rhs) { return order == .orderedSame }
        return TemplateRenderer.text(of: lhs) == TemplateRenderer.text(of: rhs)
    }

    enum Order { case orderedAscending, orderedSame, orderedDescending }

    /// Numeric order, or nil when either side is not a number.
    static func compare(_ lhs: JSONValue, _ rhs: JSONValue) -> Order? {
        guard let left = Numeric(lhs), let right = Numeric(rhs) else { return nil }
        if case .integer(let a) = left, case .integer(let b) = right {
            return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        }
        let a = left.double
        let b = right.double
        return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
    }

    enum Numeric {
        case integer(Int64)
        case double(Double)

        init?(_ value: JSONValue) {
            switch value {
            case .integer(let number): self = .integer(number)
            case .number(let number): self = .double(number)
            case .string(let text):
                guard Self.isDecimal(text) else { return nil }
                if let integer = Int64(text) {
                    self = .integer(integer)
                } else if let number = Double(text), number.isFinite {
                    self = .double(number)
                } else {
                    return nil
                }
            default: return nil
            }
        }

        var double: Double {
            switch self {
            case .integer(let number): return Double(number)
            case .double(let number): return number
            }
        }

        /// `-?digits(.digits)?([eE][+-]?digits)?`: what a person writes as a
        /// number (Swift's `Double("0x1A")` or `Double("nan")` would also parse).
        static func isDecimal(_ text: String) -> Bool {
            var bytes = Substring(text).utf8[...]
            if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            func digits() -> Int {
                let count = bytes.prefix(while: ASCII.isDigit).count
                bytes = bytes.dropFirst(count)
                return count
            }
            guard digits() > 0 else { return false }
            if bytes.first == UInt8(ascii: ".") {
                bytes = bytes.dropFirst()
                guard digits() > 0 else { return false }
            }
            if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
                bytes = bytes.dropFirst()
                if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
                guard digits() > 0 else { return false }
            }
            return bytes.isEmpty
        }
    }
}
