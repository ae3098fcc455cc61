/// Turns a Telegram `Update` (https://core.telegram.org/bots/api#update) into
/// an event. Only the update types a `telegram.update` trigger can ask for
/// are runnable; others (polls, chat member changes, …) are acknowledged and
/// ignored so Telegram does not retry them.
public enum TelegramUpdateParser {
    public static let supportedTypes = ["message", "edited_message", "callback_query"]

    /// - Returns: the event, or nil for an update of another type.
    /// - Throws: `InboundPayloadError` when the body is not an Update.
    public static func parse(_ update: JSONValue) throws(InboundPayloadError) -> InboundEvent? {
        guard case .object = update, let updateID = update["update_id"]?.integerValue else {
            throw InboundPayloadError("not a Telegram update: update_id is missing")
        }
        for type in ["message", "edited_message"] {
            if let message = update[type] {
                return InboundEvent(
                    triggerType: "telegram.update", dedupeKey: String(updateID),
                    message: try normalise(message: message, type: type, updateID: updateID), filterValue: type)
            }
        }
        if let callback = update["callback_query"] {
            guard case .object = callback, let from = callback["from"] else {
                throw InboundPayloadError("callback_query without from")
            }
            var members: [String: JSONValue] = [
                "platform": "telegram", "update_type": "callback_query", "update_id": .integer(updateID),
                "text": callback["data"] ?? "", "from": person(from),
            ]
            if let id = callback.idString("id") { members["callback_query_id"] = .string(id) }
            if let chat = callback["message"]?["chat"] { members["chat"] = chatSummary(chat) }
            return InboundEvent(
                triggerType: "telegram.update", dedupeKey: String(updateID), message: .object(members),
                filterValue: "callback_query")
        }
        return nil
    }

    private static func normalise(message: JSONValue, type: String, updateID: Int64) throws(InboundPayloadError) -> JSONValue {
        guard case .object = message, let chat = message["chat"], chat["id"]?.integerValue != nil else {
            throw InboundPayloadError("\(type) without chat.id")
        }
        var members: [String: JSONValue] = [
            "platform": "telegram", "update_type": .string(type), "update_id": .integer(updateID),
            "text": message["text"] ?? message["caption"] ?? "", "chat": chatSummary(chat),
        ]
        if let id = message["message_id"]?.integerValue { members["message_id"] = .integer(id) }
        if let from = message["from"] { members["from"] = person(from) }
        if let date = message["date"]?.integerValue { members["date"] = .integer(date) }
        if let voice = message["voice"] ?? message["audio"], let fileID = voice.idString("file_id") {
            members["media"] = .object(["file_id": .string(fileID), "mime_type": voice["mime_type"] ?? "audio/ogg"])
        }
        return .object(members)
    }

    private static func chatSummary(_ chat: JSONValue) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for key in ["id", "type", "title", "username"] { if let value = chat[key] { members[key] = value } }
        return .object(members)
    }

    private static func person(_ from: JSONValue) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for key in ["id", "is_bot", "first_name", "last_name", "username", "language_code"] {
            if let value = from[key] { members[key] = value }
        }
        return .object(members)
    }
}
