/// A value travelling along an edge, tagged with the port type it came out
/// of. It is stored as produced; `feeding(_:)` converts it for the input it
/// arrives at, following exactly the table of `PortType.canFeed`:
///
/// | value     | into `text`                         | into `json`        | into `media`              |
/// |-----------|-------------------------------------|--------------------|---------------------------|
/// | `message` | its `text` member (`""` if absent)  | the message object | its `media` member        |
/// | `json`    | compact JSON (a bare string as is)   | itself             | —                         |
/// | `text`    | itself                              | —                  | —                         |
/// | `media`   | —                                   | —                  | itself                    |
///
/// A bare JSON string becomes its contents rather than `"…"` with quotes:
/// an HTTP endpoint answering `"ok"` should read as `ok` in a message.
public enum PortValue: Sendable, Hashable {
    /// The normalised trigger message, an object such as
    /// `{"platform": "telegram", "text": "hi", "chat": {"id": 1}, "from": {…}}`.
    case message(JSONValue)
    case text(String)
    case json(JSONValue)
    case media(MediaReference)

    /// The port type this value belongs to.
    public var portType: PortType {
        switch self {
        case .message: return .message
        case .text: return .text
        case .json: return .json
        case .media: return .media
        }
    }

    /// The value as an input of type `type` receives it.
    public func feeding(_ type: PortType) throws(PortValueError) -> PortValue {
        switch (self, type) {
        case (.message, .message), (.text, .text), (.json, .json), (.media, .media):
            return self
        case (.message(let message), .text):
            return .text(message["text"].map(TemplateRenderer.text(of:)) ?? "")
        case (.message(let message), .json):
            return .json(message)
        case (.message(let message), .media):
            guard let media = message["media"].flatMap(MediaReference.init(json:)) else {
                throw PortValueError(from: .message, into: .media, reason: "the message has no media attachment")
            }
            return .media(media)
        case (.json(let value), .text):
            return .text(TemplateRenderer.text(of: value))
        default:
            throw PortValueError(from: portType, into: type, reason: "a \(portType.rawValue) value cannot feed a \(type.rawValue) input")
        }
    }

    /// The value's text, as a `text` input would receive it; nil for media.
    public var textValue: String? {
        switch self {
        case .text(let text): return text
        case .message(let message): return message["text"].map(TemplateRenderer.text(of:)) ?? ""
        case .json(let value): return TemplateRenderer.text(of: value)
        case .media: return nil
        }
    }

    /// The value as JSON (what summaries and `{{json…}}` placeholders see).
    public var jsonValue: JSONValue {
        switch self {
        case .message(let message): return message
        case .text(let text): return .string(text)
        case .json(let value): return value
        case .media(let media): return media.jsonValue
        }
    }
}

/// Why a value cannot feed an input (a message without media into
/// `transcribe.audio`, or a runner returning the wrong kind of value).
public struct PortValueError: Error, Sendable, Hashable, CustomStringConvertible {
    public let from: PortType
    public let into: PortType
    public let reason: String
    public var description: String { reason }
}

/// An attachment: where to fetch it and what it is. Telegram gives a file
/// id (fetched with the bot's `getFile`), other sources a URL; at least one
/// of them is set.
public struct MediaReference: Sendable, Hashable, Codable {
    public var url: String?
    public var fileID: String?
    public var mimeType: String
    public var byteSize: Int64?

    public init(url: String? = nil, fileID: String? = nil, mimeType: String, byteSize: Int64? = nil) {
        self.url = url
        self.fileID = fileID
        self.mimeType = mimeType
        self.byteSize = byteSize
    }

    /// From a message's `media` member: `{"url"|"file_id": …, "mime_type": …, "byte_size"|"file_size": …}`;
    /// nil when it names neither a URL nor a file (an Instagram comment's
    /// `media` is the commented post, not an attachment).
    public init?(json: JSONValue) {
        let url = json["url"]?.stringValue
        let fileID = json["file_id"]?.stringValue
        guard url != nil || fileID != nil else { return nil }
        self.init(
            url: url, fileID: fileID, mimeType: json["mime_type"]?.stringValue ?? "application/octet-stream",
            byteSize: json["byte_size"]?.integerValue ?? json["file_size"]?.integerValue)
    }

    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["mime_type": .string(mimeType)]
        if let url { members["url"] = .string(url) }
        if let fileID { members["file_id"] = .string(fileID) }
        if let byteSize { members["byte_size"] = .integer(byteSize) }
        return .object(members)
    }

    enum CodingKeys: String, CodingKey {
        case url
        case fileID = "file_id"
        case mimeType = "mime_type"
        case byteSize = "byte_size"
    }
}

// MARK: - Codable (checkpoints store outputs between attempts)

extension PortValue: Codable {
    enum CodingKeys: String, CodingKey {
        case kind, value
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(PortType.self, forKey: .kind)
        switch kind {
        case .message: self = .message(try container.decode(JSONValue.self, forKey: .value))
        case .text: self = .text(try container.decode(String.self, forKey: .value))
        case .json: self = .json(try container.decode(JSONValue.self, forKey: .value))
        case .media: self = .media(try container.decode(MediaReference.self, forKey: .value))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(portType, forKey: .kind)
        switch self {
        case .message(let value), .json(let value): try container.encode(value, forKey: .value)
        case .text(let text): try container.encode(text, forKey: .value)
        case .media(let media): try container.encode(media, forKey: .value)
        }
    }
}
