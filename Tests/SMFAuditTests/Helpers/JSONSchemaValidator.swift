import Foundation

/// A validator for the subset of JSON Schema (2020-12) that
/// docs/audit-report.schema.json uses: type (one or a list), const, enum,
/// required, properties, additionalProperties: false, items, minimum,
/// minLength, pattern (no booleans). Written here because the project takes no new
/// package dependency for a test. Returns every violation with its path.
struct JSONSchemaValidator {
    let schema: [String: Any]

    func validate(_ instance: Any) -> [String] {
        validate(instance, against: schema, path: "$")
    }

    private func validate(_ value: Any, against schema: [String: Any], path: String) -> [String] {
        var errors: [String] = []
        if let types = schema["type"] {
            let allowed = (types as? [String]) ?? [(types as? String) ?? ""]
            if !allowed.contains(where: { Self.matches(value, type: $0) }) {
                return ["\(path): expected \(allowed.joined(separator: "|")), got \(Self.typeName(value))"]
            }
        }
        if let constant = schema["const"], !Self.equal(constant, value) { errors.append("\(path): expected \(constant)") }
        if let options = schema["enum"] as? [Any], !options.contains(where: { Self.equal($0, value) }) {
            errors.append("\(path): \(value) is not one of \(options)")
        }
        if let number = value as? NSNumber, !Self.isBool(value), let minimum = schema["minimum"] as? NSNumber, number.doubleValue < minimum.doubleValue {
            errors.append("\(path): \(number) < \(minimum)")
        }
        if let string = value as? String {
            if let minLength = schema["minLength"] as? Int, string.count < minLength { errors.append("\(path): shorter than \(minLength)") }
            if let pattern = schema["pattern"] as? String, string.range(of: pattern, options: .regularExpression) == nil {
                errors.append("\(path): '\(string)' does not match \(pattern)")
            }
        }
        if let object = value as? [String: Any] {
            for name in (schema["required"] as? [String]) ?? [] where object[name] == nil { errors.append("\(path): missing '\(name)'") }
            let properties = (schema["properties"] as? [String: Any]) ?? [:]
            for (name, child) in object {
                if let childSchema = properties[name] as? [String: Any] {
                    errors += validate(child, against: childSchema, path: "\(path).\(name)")
                } else if (schema["additionalProperties"] as? Bool) == false {
                    errors.append("\(path): unexpected property '\(name)'")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() { errors += validate(item, against: items, path: "\(path)[\(index)]") }
        }
        return errors
    }

    /// The report has no booleans, and Foundation on Linux cannot tell a
    /// JSON `true` from `1` reliably; booleans are therefore not supported.
    static func isBool(_ value: Any) -> Bool { false }

    static func matches(_ value: Any, type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "string": return value is String
        case "integer":
            guard let number = value as? NSNumber, !isBool(value) else { return false }
            return number.doubleValue == number.doubleValue.rounded()
        case "number": return value is NSNumber && !isBool(value)
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        default: return false
        }
    }

    static func typeName(_ value: Any) -> String {
        ["null", "integer", "number", "string", "array", "object"].first { matches(value, type: $0) } ?? "unknown"
    }

    static func equal(_ lhs: Any, _ rhs: Any) -> Bool {
        if let l = lhs as? String, let r = rhs as? String { return l == r }
        if let l = lhs as? NSNumber, let r = rhs as? NSNumber { return l == r }
        return false
    }
}
