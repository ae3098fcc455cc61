/// Splits a Meta (Instagram) webhook delivery into events:
/// `{"object":"instagram","entry":[{"id":<ig user>,"changes":[{"field":"comments","value":{…}}],
/// "messaging":[{"sender":…,"message":{"mid":…}}]}]}`.
/// The account's own comments and message echoes are dropped: a flow that
/// replies would otherwise trigger itself.
public enum MetaPayloadParser {
    /// - Parameter accountID: the Instagram user id of the receiving account
    ///   (the credential's `ig_user_id`); events from it are its own.
    public static func parse(_ payload: JSONValue, accountID: String?) throws(InboundPayloadError) -> [InboundEvent] {
        guard case .object = payload else { throw InboundPayloadError("not a Meta webhook payload") }
        guard payload["object"]?.stringValue == "instagram" else {
            throw InboundPayloadError("object must be \"instagram\"")
        }
        guard case .array(let entries)? = payload["entry"] else { throw InboundPayloadError("entry must be an array") }
        var events: [InboundEvent] = []
        for entry in entries {
            let owner = entry.idString("id") ?? accountID
            if case .array(let changes)? = entry["changes"] {
                for change in changes where change["field"]?.stringValue == "comments" {
                    if let event = comment(change["value"] ?? .null, owner: owner) { events.append(event) }
                }
            }
            if case .array(let messaging)? = entry["messaging"] {
                for item in messaging {
                    if let event = directMessage(item, owner: owner) { events.append(event) }
                }
            }
        }
        return events
    }

    private static func comment(_ value: JSONValue, owner: String?) -> InboundEvent? {
        guard let commentID = value.idString("id") else { return nil }
        let from = value["from"] ?? .object([:])
        if let owner, from.idString("id") == owner { return nil }
        var members: [String: JSONValue] = [
            "platform": "instagram", "event": "comment", "comment_id": .string(commentID),
            "text": value["text"] ?? "", "from": from,
        ]
        let mediaID = value["media"]?.idString("id")
        if let mediaID { members["media"] = .object(["id": .string(mediaID)]) }
        if let parent = value.idString("parent_id") { members["parent_id"] = .string(parent) }
        if let owner { members["account_id"] = .string(owner) }
        return InboundEvent(
            triggerType: "instagram.comment", dedupeKey: "comment:" + commentID, message: .object(members),
            filterValue: mediaID)
    }

    private static func directMessage(_ item: JSONValue, owner: String?) -> InboundEvent? {
        guard let message = item["message"], let mid = message.idString("mid") else { return nil }
        if message["is_echo"]?.boolValue == true { return nil }
        let sender = item["sender"]?.idString("id")
        if let owner, sender == owner { return nil }
        var members: [String: JSONValue] = [
            "platform": "instagram", "event": "message", "mid": .string(mid), "text": message["text"] ?? "",
            "from": .object(sender.map { ["id": .string($0)] } ?? [:]),
        ]
        if let owner { members["account_id"] = .string(owner) }
        if let timestamp = item["timestamp"]?.integerValue { members["timestamp"] = .integer(timestamp) }
        return InboundEvent(triggerType: "instagram.message", dedupeKey: "message:" + mid, message: .object(members))
    }
}
