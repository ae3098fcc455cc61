/// JSON Schema 2020-12 for settings, for API clients (editors, the OpenAPI
/// document). The validator does not read it: it checks `SettingSchema`
/// directly and also enforces what JSON Schema cannot say.
///
/// Extensions (`x-…`), ignored by plain JSON Schema validators:
/// - `x-credential-kind` on credential ids (`{"type": "string", "format":
///   "uuid", "x-credential-kind": "telegram.bot"}`). Credentials are listed in
///   `required` (a deploy needs them) and carry `"x-missing-on-save":
///   "warning"`: a flow may be saved without them.
/// - `x-format` names a string check beyond `pattern` (`template`, `regex`,
///   `http-url`, `header-name`, `header-value`, …; see `StringFormat`).
/// - `x-unique-field` on a list: that field differs between all items.
extension SettingSchema {
    public var jsonSchema: JSONValue {
        var schema = Self.objectSchema(settings)
        var conditions: [JSONValue] = []
        for rule in rules {
            switch rule {
            case .itemsNeedOneOf, .uniqueItemField:
                // Said on the list's item schema below.
                continue
            case .requiredUnless(let setting, let other, let values):
                conditions.append([
                    "if": ["properties": [other: ["enum": .array(values.map(JSONValue.string))]], "required": [.string(other)]],
                    "else": ["required": [.string(setting)]],
                ])
            case .numericWhen(let setting, let other, let values):
                conditions.append([
                    "if": ["properties": [other: ["enum": .array(values.map(JSONValue.string))]], "required": [.string(other)]],
                    "then": ["properties": [setting: ["type": "number"]]],
                ])
            }
        }
        if !conditions.isEmpty { schema["allOf"] = .array(conditions) }
        // List rules go on the item schema of the list they name.
        if case .object(var properties) = schema["properties"] ?? .null {
            for rule in rules {
                switch rule {
                case .itemsNeedOneOf(let list, let fields):
                    properties[list] = Self.editItems(of: properties[list]) { item in
                        item["anyOf"] = .array(fields.map { ["required": [.string($0)]] })
                    }
                case .uniqueItemField(let list, let field, let reserved):
                    properties[list] = Self.editItems(of: properties[list], list: { $0["x-unique-field"] = .string(field) }) { item in
                        guard case .object(var fields) = item["properties"] ?? .null,
                            case .object(var target) = fields[field] ?? .null
                        else { return }
                        target["not"] = ["enum": .array(reserved.map(JSONValue.string))]
                        fields[field] = .object(target)
                        item["properties"] = .object(fields)
                    }
                case .requiredUnless, .numericWhen:
                    continue
                }
            }
            schema["properties"] = .object(properties)
        }
        var top: [String: JSONValue] = ["$schema": "https://json-schema.org/draft/2020-12/schema"]
        top.merge(schema) { _, new in new }
        return .object(top)
    }

    static func objectSchema(_ specs: [SettingSpec]) -> [String: JSONValue] {
        var properties: [String: JSONValue] = [:]
        var required: [JSONValue] = []
        for spec in specs {
            var property = typeSchema(spec.type)
            property["title"] = .string(spec.title)
            property["description"] = .string(spec.description)
            if let value = spec.defaultValue { property["default"] = value }
            if case .credential = spec.type, spec.required { property["x-missing-on-save"] = "warning" }
            properties[spec.key] = .object(property)
            if spec.required { required.append(.string(spec.key)) }
        }
        return [
            "type": "object", "properties": .object(properties), "required": .array(required),
            "additionalProperties": false,
        ]
    }

    static func typeSchema(_ type: SettingType) -> [String: JSONValue] {
        switch type {
        case .string(let minLength, let maxLength, let format):
            var schema: [String: JSONValue] = ["type": "string", "maxLength": .integer(Int64(maxLength))]
            if minLength > 0 { schema["minLength"] = .integer(Int64(minLength)) }
            if let pattern = format.jsonSchemaPattern { schema["pattern"] = .string(pattern) }
            if format == .httpURL { schema["format"] = "uri" }
            if format != .plain { schema["x-format"] = .string(format.rawValue) }
            return schema
        case .integer(let minimum, let maximum):
            return ["type": "integer", "minimum": .integer(minimum), "maximum": .integer(maximum)]
        case .number(let minimum, let maximum):
            return ["type": "number", "minimum": .number(minimum), "maximum": .number(maximum)]
        case .boolean:
            return ["type": "boolean"]
        case .enumeration(let values):
            return ["type": "string", "enum": .array(values.map(JSONValue.string))]
        case .credential(let kind):
            return ["type": "string", "format": "uuid", "x-credential-kind": .string(kind.rawValue)]
        case .scalar(let maxLength):
            return ["type": ["string", "number", "boolean"], "maxLength": .integer(Int64(maxLength))]
        case .list(let item, let minItems, let maxItems, let uniqueItems):
            var schema: [String: JSONValue] = [
                "type": "array", "items": .object(typeSchema(item)), "maxItems": .integer(Int64(maxItems)),
            ]
            if minItems > 0 { schema["minItems"] = .integer(Int64(minItems)) }
            if uniqueItems { schema["uniqueItems"] = true }
            return schema
        case .object(let specs):
            return objectSchema(specs)
        }
    }

    /// Applies `edit` to the `items` schema of a list property (and `list`
    /// to the list's own schema).
    static func editItems(
        of property: JSONValue?, list: (inout [String: JSONValue]) -> Void = { _ in },
        _ edit: (inout [String: JSONValue]) -> Void
    ) -> JSONValue? {
        guard case .object(var schema) = property ?? .null, case .object(var items) = schema["items"] ?? .null else {
            return property
        }
        edit(&items)
        schema["items"] = .object(items)
        list(&schema)
        return .object(schema)
    }
}
