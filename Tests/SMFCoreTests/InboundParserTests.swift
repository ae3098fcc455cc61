import Foundation
import SMFCore
import Testing

@Suite("Inbound payload parsers")
struct InboundParserTests {
    private func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }

    @Test func telegram_message_update_is_normalised_with_update_id_as_dedupe_key() throws {
        let update = try json(#"""
            {"update_id": 9001, "message": {"message_id": 5, "date": 1700000000, "text": "price please",
             "from": {"id": 42, "is_bot": false, "first_name": "Ana", "username": "ana"},
             "chat": {"id": 42, "type": "private", "first_name": "Ana"}}}
            """#)
        let event = try #require(try TelegramUpdateParser.parse(update))
        #expect(event.triggerType == "telegram.update")
        #expect(event.dedupeKey == "9001")
        #expect(event.filterValue == "message")
        #expect(event.message["text"] == "price please")
        #expect(event.message["chat"]?["id"] == 42)
        #expect(event.message["from"]?["username"] == "ana")
        #expect(event.message["platform"] == "telegram")
    }

    @Test func telegram_callback_query_uses_its_data_as_text() throws {
        let update = try json(#"{"update_id": 7, "callback_query": {"id": "cb1", "data": "yes", "from": {"id": 3}, "message": {"chat": {"id": 3}}}}"#)
        let event = try #require(try TelegramUpdateParser.parse(update))
        #expect(event.filterValue == "callback_query")
        #expect(event.message["text"] == "yes")
        #expect(event.message["chat"]?["id"] == 3)
    }

    @Test func telegram_other_update_types_are_ignored_and_non_updates_refused() throws {
        #expect(try TelegramUpdateParser.parse(try json(#"{"update_id": 1, "poll": {"id": "p"}}"#)) == nil)
        #expect(throws: InboundPayloadError.self) { try TelegramUpdateParser.parse(try json(#"{"message": {}}"#)) }
        #expect(throws: InboundPayloadError.self) {
            try TelegramUpdateParser.parse(try json(#"{"update_id": 2, "message": {"text": "no chat"}}"#))
        }
    }

    @Test func meta_batch_splits_into_comment_and_message_events_and_drops_own_echoes() throws {
        // Meta escapes non-ASCII as \uXXXX, including surrogate pairs.
        let payload = try json(#"""
            {"object": "instagram", "entry": [
              {"id": "1784", "time": 1, "changes": [
                {"field": "comments", "value": {"id": "c1", "text": "Qu\u00e9 precio? \ud83d\ude00", "from": {"id": "55", "username": "buyer"}, "media": {"id": "m9"}}},
                {"field": "comments", "value": {"id": "c2", "text": "our own reply", "from": {"id": "1784", "username": "shop"}, "media": {"id": "m9"}}},
                {"field": "mentions", "value": {"id": "x"}}]},
              {"id": "1784", "time": 2, "messaging": [
                {"sender": {"id": "77"}, "recipient": {"id": "1784"}, "timestamp": 5, "message": {"mid": "mid.1", "text": "hi"}},
                {"sender": {"id": "1784"}, "recipient": {"id": "77"}, "timestamp": 6, "message": {"mid": "mid.2", "text": "echo", "is_echo": true}}]}
            ]}
            """#)
        let events = try MetaPayloadParser.parse(payload, accountID: "1784")
        #expect(events.map(\.dedupeKey) == ["comment:c1", "message:mid.1"])
        #expect(events[0].message["text"] == "Qué precio? 😀")
        #expect(events[0].filterValue == "m9")
        #expect(events[0].triggerType == "instagram.comment")
        #expect(events[1].triggerType == "instagram.message")
        #expect(events[1].message["from"]?["id"] == "77")
    }

    @Test func meta_payload_of_another_object_is_refused() throws {
        #expect(throws: InboundPayloadError.self) {
            try MetaPayloadParser.parse(try json(#"{"object": "page", "entry": []}"#), accountID: nil)
        }
        #expect(throws: InboundPayloadError.self) {
            try MetaPayloadParser.parse(try json(#"{"object": "instagram", "entry": {}}"#), accountID: nil)
        }
    }

    @Test func generic_payload_takes_text_from_json_or_plain_body() throws {
        let fromJSON = GenericPayloadParser.parse(body: try json(#"{"text": "order 5", "n": 1}"#), rawText: nil, eventID: "e-1")
        #expect(fromJSON.message["text"] == "order 5")
        #expect(fromJSON.message["body"]?["n"] == 1)
        #expect(fromJSON.dedupeKey == "event:e-1")
        let fromText = GenericPayloadParser.parse(body: nil, rawText: "plain", eventID: nil)
        #expect(fromText.message["text"] == "plain")
        #expect(fromText.dedupeKey == nil)
    }

    @Test func trigger_filters_select_update_types_and_media() throws {
        let message = try #require(try TelegramUpdateParser.parse(try json(#"{"update_id": 1, "edited_message": {"chat": {"id": 1}, "text": "x"}}"#)))
        #expect(!TriggerFilter.accepts(message, triggerType: "telegram.update", settings: [:]))
        #expect(TriggerFilter.accepts(message, triggerType: "telegram.update", settings: ["updates": ["edited_message"]]))
        #expect(!TriggerFilter.accepts(message, triggerType: "instagram.comment", settings: [:]))
        let comment = try MetaPayloadParser.parse(try json(#"{"object": "instagram", "entry": [{"id": "1", "changes": [{"field": "comments", "value": {"id": "c", "from": {"id": "2"}, "media": {"id": "m1"}}}]}]}"#), accountID: "1")[0]
        #expect(TriggerFilter.accepts(comment, triggerType: "instagram.comment", settings: [:]))
        #expect(TriggerFilter.accepts(comment, triggerType: "instagram.comment", settings: ["media_ids": ["m1"]]))
        #expect(!TriggerFilter.accepts(comment, triggerType: "instagram.comment", settings: ["media_ids": ["m2"]]))
        #expect(TriggerFilter.telegramAllowedUpdates([["updates": ["callback_query"]], [:]]) == ["message", "callback_query"])
    }
}
