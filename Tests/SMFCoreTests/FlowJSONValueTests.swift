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

/// `JSONValue(parsing:)`: the same values as JSONDecoder, stricter on
/// ambiguous input.
@Suite struct FlowJSONParsingTests {
    func parse(_ text: String) throws -> JSONValue {
        try JSONValue(parsing: text)
    }

    @Test func agrees_with_json_decoder_on_the_fixtures() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        for flow in [FlowFixtures.threeNodeFlow, FlowFixtures.keywordFlow, FlowCatalogTests().catalog.encodedForAPI()] {
            let data = try encoder.encode(flow)
            #expect(try JSONValue(parsing: data) == JSONDecoder().decode(JSONValue.self, from: data))
        }
    }

    @Test func scalars() throws {
        #expect(try parse(" 3 ") == .integer(3))
        #expect(try parse("-0") == .integer(0))
        #expect(try parse("3.5") == .number(3.5))
        #expect(try parse("1E2") == .number(100))
        #expect(try parse("-12.5e-1") == .number(-1.25))
        #expect(try parse("9223372036854775807") == .integer(Int64.max))
        #expect(try parse("-9223372036854775808") == .integer(Int64.min))
        #expect(try parse("9223372036854775808") == .number(9223372036854775808))
        #expect(try parse("true") == true)
        #expect(try parse("null") == nil)
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == "a\"b\\c/d\u{8}\u{c}\n\r\t")
        #expect(try parse(#""\u00e9\u20AC\ud83d\ude00""#) == "é€😀")
        #expect(try parse(#""ünï 😀""#) == "ünï 😀")
        #expect(try parse(#"{"a":[1,{"b":[]}],"c":{}}"#) == ["a": [1, ["b": []]], "c": [:]])
    }

    @Test(arguments: [
        "", " ", "01", "1.", ".5", "+1", "1e", "-", "1e400", "tru", "nul", "[1,]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}",
        "{a:1}", "{\"a\":1,\"a\":2}", "\"abc", "\"a\u{1}b\"", #""\ud800""#, #""\udc00x""#, #""\x""#, #""\u12G4""#,
        "[1] x", "NaN", "'a'",
    ])
    func refused(_ text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: text) }
    }

    @Test func invalid_utf8_is_refused() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: Data([0x22, 0xC3, 0x28, 0x22])) }
    }

    @Test func depth_is_bounded() throws {
        let ok = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(throws: Never.self) { try JSONValue(parsing: ok) }
        let deep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: deep) }
        let huge = String(repeating: "[", count: 100_000)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: huge) }
    }
}
