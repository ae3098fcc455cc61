/// The message of a generic webhook: the JSON body (or the text body) as
/// `body`, and `text` from a top-level `"text"` string or the text body.
public enum GenericPayloadParser {
    public static func parse(body: JSONValue?, rawText: String?, eventID: String?) -> InboundEvent {
        var members: [String: JSONValue] = ["platform": "webhook"]
        if let body {
            members["body"] = body
            members["text"] = body["text"]?.stringValue.map(JSONValue.string) ?? ""
        } else {
            members["body"] = .string(rawText ?? "")
            members["text"] = .string(rawText ?? "")
        }
        return InboundEvent(
            triggerType: "webhook.generic", dedupeKey: eventID.map { "event:" + $0 }, message: .object(members))
    }
}
