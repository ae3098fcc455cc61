/// Whether a deployed trigger wants an event: the trigger type must match,
/// then its filter settings (Telegram update types, Instagram media ids).
public enum TriggerFilter {
    public static let defaultTelegramUpdates = ["message"]

    public static func accepts(_ event: InboundEvent, triggerType: String, settings: [String: JSONValue]) -> Bool {
        guard event.triggerType == triggerType else { return false }
        switch triggerType {
        case "telegram.update":
            let wanted = strings(settings["updates"]) ?? defaultTelegramUpdates
            return event.filterValue.map(wanted.contains) ?? false
        case "instagram.comment":
            guard let media = strings(settings["media_ids"]), !media.isEmpty else { return true }
            return event.filterValue.map(media.contains) ?? false
        default:
            return true
        }
    }

    /// The `allowed_updates` Telegram should send for the triggers on one bot.
    public static func telegramAllowedUpdates(_ triggers: [[String: JSONValue]]) -> [String] {
        var wanted = Set<String>()
        for settings in triggers { wanted.formUnion(strings(settings["updates"]) ?? defaultTelegramUpdates) }
        return TelegramUpdateParser.supportedTypes.filter(wanted.contains)
    }

    private static func strings(_ value: JSONValue?) -> [String]? {
        guard case .array(let items)? = value else { return nil }
        return items.compactMap(\.stringValue)
    }
}
