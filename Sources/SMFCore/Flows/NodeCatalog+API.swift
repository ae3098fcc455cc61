/// The catalog as the API serves it (`GET /api/v1/node-types`):
///
/// ```json
/// {"node_types": [{"id": "llm.chat", "version": 1, "category": "processor",
///   "title": "…", "description": "…",
///   "inputs": [{"name": "input", "type": "text", "multiple": false}],
///   "outputs": [{"name": "output", "type": "text", "multiple": false}],
///   "outputs_from_setting": {"setting": "branches", "name_field": "port", "type": "message"},
///   "settings_schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", …}}]}
/// ```
///
/// `outputs` lists the static outputs; `outputs_from_setting` is present only
/// for types whose outputs also come from a setting (one port per item of
/// that list, named by the item's `name_field`, listed before the static
/// ones). The settings schema is JSON Schema 2020-12; see
/// `SettingSchema.jsonSchema` for its extensions.
extension NodeCatalog: Encodable {
    public func encodedForAPI() -> JSONValue {
        .object(["node_types": .array(types.map(\.encodedForAPI))])
    }

    /// Encodes `encodedForAPI()`.
    public func encode(to encoder: any Encoder) throws {
        try encodedForAPI().encode(to: encoder)
    }
}

extension NodeType {
    /// One entry of `node_types`.
    public var encodedForAPI: JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(id),
            "version": .integer(Int64(version)),
            "category": .string(category.rawValue),
            "title": .string(title),
            "description": .string(description),
            "inputs": .array(inputs.map(\.encodedForAPI)),
            "outputs": .array(staticOutputs.map(\.encodedForAPI)),
            "settings_schema": settings.jsonSchema,
        ]
        if let dynamic = dynamicOutputs {
            members["outputs_from_setting"] = [
                "setting": .string(dynamic.setting), "name_field": .string(dynamic.nameField),
                "type": .string(dynamic.type.rawValue),
            ]
        }
        return .object(members)
    }
}

extension PortSpec {
    var encodedForAPI: JSONValue {
        ["name": .string(name), "type": .string(type.rawValue), "multiple": .bool(multiple)]
    }
}
