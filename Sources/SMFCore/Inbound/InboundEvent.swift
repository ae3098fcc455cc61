/// One event a platform delivered, normalised into the message a flow's
/// trigger outputs. A delivery can hold several (Meta batches entries).
public struct InboundEvent: Sendable, Hashable {
    /// The trigger node type this event starts (`telegram.update`, …).
    public let triggerType: String
    /// Unique per endpoint for the platform's retries of the same event
    /// (Telegram `update_id`, Instagram comment id / message mid); nil when
    /// the sender gave none (generic webhooks without an event id).
    public let dedupeKey: String?
    /// The message: always an object with `platform` and `text` (may be "").
    public let message: JSONValue
    /// What trigger filters look at: Telegram's update type, the Instagram media id.
    public let filterValue: String?

    public init(triggerType: String, dedupeKey: String?, message: JSONValue, filterValue: String? = nil) {
        self.triggerType = triggerType
        self.dedupeKey = dedupeKey
        self.message = message
        self.filterValue = filterValue
    }
}

/// Why a delivery's body was refused (→ 400). Never echoes the body.
public struct InboundPayloadError: Error, Sendable, Hashable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

extension JSONValue {
    /// A string member, or a number member rendered as its decimal digits
    /// (platform ids arrive as either).
    func idString(_ key: String) -> String? {
        switch self[key] {
        case .string(let value)? where !value.isEmpty && value.utf8.count <= 64: return value
        case .integer(let value)?: return String(value)
        default: return nil
        }
    }
}
