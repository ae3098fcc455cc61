import Crypto
import Foundation

/// Builds Instagram webhook deliveries byte for byte the way Meta sends them:
/// `{"object":"instagram","entry":[…]}`, non-ASCII escaped as `\uXXXX`
/// (UTF-16, so emoji become surrogate pairs), `/` escaped as `\/`, and signed
/// `X-Hub-Signature-256: sha256=<hex>` over those exact bytes. A receiver that
/// re-serialises the JSON before checking the signature fails on these.
public enum MetaWebhook {
    /// A comment on the account's media (`field: "comments"`).
    public struct Comment: Sendable {
        public var id: String
        public var text: String
        public var fromID: String
        public var fromUsername: String
        public var mediaID: String
        public var parentID: String?
        public var mediaProductType: String

        public init(id: String, text: String, fromID: String, fromUsername: String = "commenter",
                    mediaID: String = "17900000000000001", parentID: String? = nil, mediaProductType: String = "FEED") {
            self.id = id
            self.text = text
            self.fromID = fromID
            self.fromUsername = fromUsername
            self.mediaID = mediaID
            self.parentID = parentID
            self.mediaProductType = mediaProductType
        }
    }

    /// A direct message (`messaging`); `isEcho` marks the account's own
    /// outgoing message coming back.
    public struct Message: Sendable {
        public var mid: String
        public var senderID: String
        public var recipientID: String
        public var text: String
        public var timestamp: Int64
        public var isEcho: Bool

        public init(mid: String, senderID: String, recipientID: String, text: String,
                    timestamp: Int64 = 1_700_000_000_000, isEcho: Bool = false) {
            self.mid = mid
            self.senderID = senderID
            self.recipientID = recipientID
            self.text = text
            self.timestamp = timestamp
            self.isEcho = isEcho
        }
    }

    /// One `entry`: Meta batches several per delivery.
    public enum Entry: Sendable {
        /// `changes` with `field: "comments"`; `time` in seconds.
        case comments(accountID: String, time: Int64, [Comment])
        /// `messaging`; `time` in milliseconds.
        case messages(accountID: String, time: Int64, [Message])
    }

    /// The delivery body for `entries`.
    public static func payload(_ entries: [Entry]) -> [UInt8] {
        let json = JSON.object([
            ("object", .string("instagram")),
            ("entry", .array(entries.map(render))),
        ])
        return Array(json.text.utf8)
    }

    /// One comment in one entry.
    public static func commentPayload(accountID: String, _ comment: Comment, time: Int64 = 1_700_000_000) -> [UInt8] {
        payload([.comments(accountID: accountID, time: time, [comment])])
    }

    /// One message in one entry.
    public static func messagePayload(accountID: String, _ message: Message, time: Int64 = 1_700_000_000_000) -> [UInt8] {
        payload([.messages(accountID: accountID, time: time, [message])])
    }

    /// `sha256=<lowercase hex HMAC-SHA256(appSecret, body)>`, the value of
    /// `X-Hub-Signature-256`.
    public static func signature(body: [UInt8], appSecret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(appSecret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// The verification handshake's query string
    /// (`hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`), percent-encoded.
    public static func verificationQuery(verifyToken: String, challenge: String, mode: String = "subscribe") -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        func encode(_ value: String) -> String {
            value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
        }
        return "hub.mode=\(encode(mode))&hub.verify_token=\(encode(verifyToken))&hub.challenge=\(encode(challenge))"
    }

    private static func render(_ entry: Entry) -> JSON {
        switch entry {
        case .comments(let accountID, let time, let comments):
            return .object([
                ("id", .string(accountID)),
                ("time", .int(time)),
                ("changes", .array(comments.map { comment in
                    var value: [(String, JSON)] = [
                        ("from", .object([("id", .string(comment.fromID)), ("username", .string(comment.fromUsername))])),
                        ("media", .object([("id", .string(comment.mediaID)),
                                           ("media_product_type", .string(comment.mediaProductType))])),
                        ("id", .string(comment.id)),
                    ]
                    if let parent = comment.parentID { value.append(("parent_id", .string(parent))) }
                    value.append(("text", .string(comment.text)))
                    return .object([("field", .string("comments")), ("value", .object(value))])
                })),
            ])
        case .messages(let accountID, let time, let messages):
            return .object([
                ("id", .string(accountID)),
                ("time", .int(time)),
                ("messaging", .array(messages.map { message in
                    var body: [(String, JSON)] = [("mid", .string(message.mid)), ("text", .string(message.text))]
                    if message.isEcho { body.append(("is_echo", .bool(true))) }
                    return .object([
                        ("sender", .object([("id", .string(message.senderID))])),
                        ("recipient", .object([("id", .string(message.recipientID))])),
                        ("timestamp", .int(message.timestamp)),
                        ("message", .object(body)),
                    ])
                })),
            ])
        }
    }

    /// Ordered JSON written the way Meta's PHP-style encoder does.
    indirect enum JSON {
        case string(String)
        case int(Int64)
        case bool(Bool)
        case array([JSON])
        case object([(String, JSON)])

        var text: String {
            switch self {
            case .string(let value): return MetaWebhook.escape(value)
            case .int(let value): return String(value)
            case .bool(let value): return value ? "true" : "false"
            case .array(let values): return "[" + values.map(\.text).joined(separator: ",") + "]"
            case .object(let pairs):
                return "{" + pairs.map { MetaWebhook.escape($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
            }
        }
    }

    /// A JSON string literal with every non-ASCII UTF-16 unit as `\uxxxx`
    /// (lowercase hex, as Meta sends) and `/` as `\/`.
    public static func escape(_ value: String) -> String {
        var out = "\""
        for unit in value.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x2F: out += "\\/"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default: out += String(format: "\\u%04x", unit)
            }
        }
        return out + "\""
    }
}
