import Foundation
import Testing
import SMFCore

@Suite struct FlowJSONValueTests {
    func decode(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test func integers_stay_integers_and_fractions_are_numbers() throws {
        #expect(try decode("3") == .integer(3))
        #expect(try decode("-42") == .integer(-42))
        #expect(try decode("3.5") == .number(3.5))
        // Out of Double's range: a decoding error (the server answers 400), not a crash.
        #expect(throws: DecodingError.self) { try decode("1e400") }
        #expect(try decode("9223372036854775807") == .integer(Int64.max))
        // Beyond Int64: a number, not a crash.
        #expect(try decode("92233720368547758070") == .number(92233720368547758070))
    }

    @Test func all_kinds_decode() throws {
        let value = try decode(#"{"a":null,"b":true,"c":[1,"x",2.5],"d":{"e":false}}"#)
        #expect(value == ["a": nil, "b": true, "c": [1, "x", 2.5], "d": ["e": false]])
        #expect(value["c"]?[1]?.stringValue == "x")
        #expect(value["d"]?["e"]?.boolValue == false)
        #expect(value["missing"] == nil)
        #expect(value["c"]?[7] == nil)
    }

    @Test func booleans_are_not_numbers() throws {
        #expect(try decode("true") == .bool(true))
        #expect(try decode("1") == .integer(1))
    }

    /// Foundation's encoder keeps keyed members in a hash table, so sorted
    /// output needs `.sortedKeys` (as the server sets).
    @Test func encoding_is_sorted_and_round_trips() throws {
        let value: JSONValue = ["b": 1, "a": ["z": 2.5, "y": "t"], "c": [nil, false]]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(value)
        #expect(String(decoding: data, as: UTF8.self) == #"{"a":{"y":"t","z":2.5},"b":1,"c":[null,false]}"#)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
    }

    @Test func accessors_and_type_names() {
        #expect(JSONValue.integer(3).doubleValue == 3)
        #expect(JSONValue.number(3).integerValue == nil)
        #expect(JSONValue.null.isNull)
        #expect([JSONValue.null, true, 1, 1.5, "s", [], [:]].map(\.typeName)
            == ["null", "boolean", "integer", "number", "string", "array", "object"])
    }
}
