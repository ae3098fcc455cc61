import Foundation
import Testing
import SMFCore

@Suite struct FlowCatalogTests {
    let catalog = NodeCatalog.standard

    @Test func has_the_issue_s_node_types() {
        let ids = Set(catalog.types.map(\.id))
        let expected: Set<String> = [
            "telegram.update", "instagram.comment", "instagram.message", "webhook.generic", "manual",
            "llm.chat", "text.template", "route.keyword", "route.condition", "http.request", "transcribe.audio",
            "telegram.send_message", "instagram.reply_comment", "instagram.private_reply", "instagram.send_message",
            "webhook.respond",
        ]
        #expect(expected.isSubset(of: ids))
        for type in catalog.types {
            #expect(catalog.type(id: type.id, version: type.version) == type)
            #expect(type.version >= 1)
            if type.category == .trigger {
                #expect(type.inputs.isEmpty)
                #expect(type.staticOutputs.map(\.type) == [.message])
            } else {
                #expect(!type.inputs.isEmpty, "\(type.id)")
            }
        }
        #expect(catalog.type(id: "llm.chat", version: 2) == nil)
        #expect(catalog.versions(of: "llm.chat") == [1])
    }

    @Test func ids_are_unique_per_version() {
        let keys = catalog.types.map { "\($0.id)@\($0.version)" }
        #expect(Set(keys).count == keys.count)
        // A repeated type is kept once.
        let type = catalog.types[0]
        #expect(NodeCatalog(types: [type, type]).types.count == 1)
    }

    @Test func every_settings_schema_is_closed_json_schema() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for type in catalog.types {
            let data = try encoder.encode(type.settings.jsonSchema)
            let decoded = try JSONDecoder().decode(JSONValue.self, from: data)
            #expect(decoded["$schema"] == "https://json-schema.org/draft/2020-12/schema")
            #expect(decoded["type"] == "object")
            var objects = 0
            Self.visitObjectSchemas(decoded) { schema in
                objects += 1
                #expect(schema["additionalProperties"] == false, "\(type.id)")
                let properties = schema["properties"]?.objectValue ?? [:]
                for required in schema["required"]?.arrayValue ?? [] {
                    #expect(properties[required.stringValue ?? ""] != nil, "\(type.id): \(required)")
                }
            }
            #expect(objects >= 1)
        }
    }

    @Test func credentials_are_uuid_strings_with_their_kind() {
        let schema = catalog.type(id: "telegram.update", version: 1)?.settings.jsonSchema
        let credential = schema?["properties"]?["credential"]
        #expect(credential?["type"] == "string")
        #expect(credential?["format"] == "uuid")
        #expect(credential?["x-credential-kind"] == "telegram.bot")
        #expect(schema?["required"]?.arrayValue?.contains("credential") == true)
    }

    @Test func bounds_appear_in_the_schema() {
        let llm = catalog.type(id: "llm.chat", version: 1)?.settings.jsonSchema["properties"]
        #expect(llm?["temperature"]?["minimum"] == .number(0))
        #expect(llm?["temperature"]?["maximum"] == .number(2))
        #expect(llm?["max_tokens"]?["maximum"] == .integer(32768))
        #expect(llm?["model"]?["pattern"] != nil)
        #expect(llm?["system_prompt"]?["x-format"] == "template")
        let route = catalog.type(id: "route.keyword", version: 1)?.settings.jsonSchema["properties"]?["branches"]
        #expect(route?["x-unique-field"] == "port")
        #expect(route?["items"]?["anyOf"] == [["required": ["keywords"]], ["required": ["regex"]]])
        #expect(route?["items"]?["properties"]?["port"]?["not"] == ["enum": ["otherwise"]])
        let condition = catalog.type(id: "route.condition", version: 1)?.settings.jsonSchema
        #expect(condition?["allOf"]?.arrayValue?.count == 2)
    }

    @Test func api_encoding() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(catalog)
        let api = try JSONDecoder().decode(JSONValue.self, from: data)
        // Same bytes (a whole-number Double such as a minimum of 0 decodes
        // back as an integer, so compare encodings, not values).
        #expect(try encoder.encode(catalog.encodedForAPI()) == data)
        let types = try #require(api["node_types"]?.arrayValue)
        #expect(types.count == catalog.types.count)
        for entry in types {
            for key in ["id", "version", "category", "title", "description", "inputs", "outputs", "settings_schema"] {
                #expect(entry[key] != nil, "\(key)")
            }
        }
        let route = types.first { $0["id"] == "route.keyword" }
        #expect(route?["outputs_from_setting"] == ["setting": "branches", "name_field": "port", "type": "message"])
        #expect(route?["outputs"] == [["name": "otherwise", "type": "message", "multiple": false]])
        let template = types.first { $0["id"] == "text.template" }
        #expect(template?["inputs"] == [["name": "input", "type": "text", "multiple": true]])
        #expect(types.first { $0["id"] == "llm.chat" }?["outputs_from_setting"] == nil)
    }

    /// Calls `body` for every schema of `"type": "object"` inside `schema`.
    static func visitObjectSchemas(_ schema: JSONValue, _ body: (JSONValue) -> Void) {
        switch schema {
        case .object(let members):
            if members["type"] == "object", members["properties"] != nil { body(schema) }
            for (key, member) in members where key != "enum" && key != "default" {
                visitObjectSchemas(member, body)
            }
        case .array(let elements):
            for element in elements { visitObjectSchemas(element, body) }
        default:
            return
        }
    }
}
