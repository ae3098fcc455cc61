/// Triggers start a flow: they have no inputs and one `message` output
/// carrying the incoming event.
enum TriggerNodes {
    static let all: [NodeType] = [telegramUpdate, instagramComment, instagramMessage, webhookGeneric, manual]

    static let message = PortSpec(name: "message", type: .message)

    static let telegramUpdate = NodeType(
        id: "telegram.update", category: .trigger, title: "Telegram update",
        description: "Runs when the bot receives one of the selected kinds of update.",
        outputs: [message],
        settings: SettingSchema([
            CommonSettings.credential(.telegramBot, title: "Telegram bot"),
            SettingSpec(
                "updates", .list(of: .enumeration(["message", "edited_message", "callback_query"]), minItems: 1, maxItems: 3, uniqueItems: true),
                title: "Update kinds", description: "Which updates start the flow.", default: ["message"]),
        ]))

    static let instagramComment = NodeType(
        id: "instagram.comment", category: .trigger, title: "Instagram comment",
        description: "Runs when someone comments on a post of the account.",
        outputs: [message],
        settings: SettingSchema([
            CommonSettings.credential(.instagramAccount, title: "Instagram account"),
            SettingSpec(
                "media_ids", .list(of: .string(minLength: 1, maxLength: 32, format: .numericID), maxItems: 50, uniqueItems: true),
                title: "Posts", description: "Only comments on these media ids; all posts when absent."),
        ]))

    static let instagramMessage = NodeType(
        id: "instagram.message", category: .trigger, title: "Instagram message",
        description: "Runs when the account receives a direct message.",
        outputs: [message],
        settings: SettingSchema([
            CommonSettings.credential(.instagramAccount, title: "Instagram account")
        ]))

    static let webhookGeneric = NodeType(
        id: "webhook.generic", category: .trigger, title: "Webhook",
        description: "Runs when the flow's webhook URL receives a request; the request body becomes the message.",
        outputs: [message],
        settings: SettingSchema([
            SettingSpec(
                "method", .enumeration(["POST", "PUT"]), title: "Method",
                description: "The HTTP method the webhook accepts.", default: "POST")
        ]))

    static let manual = NodeType(
        id: "manual", category: .trigger, title: "Manual",
        description: "Runs when started by hand from the console or the API.",
        outputs: [message],
        settings: SettingSchema([
            SettingSpec(
                "sample_text", .string(maxLength: 4096), title: "Sample text",
                description: "The message text a manual run starts with.")
        ]))
}

/// Settings several node types share, spelled once.
enum CommonSettings {
    /// The credential a node needs (required for deploying).
    static func credential(_ kind: CredentialKind, title: String, required: Bool = true) -> SettingSpec {
        SettingSpec(
            "credential", .credential(kind), required: required, title: title,
            description: "The id of a stored \(kind.rawValue) credential of this workspace.")
    }

    static let model = SettingSpec(
        "model", .string(minLength: 1, maxLength: 128, format: .modelName), required: true, title: "Model",
        description: "The model name the OpenAI-compatible server knows.")

    static func text(maxLength: Int, description: String) -> SettingSpec {
        SettingSpec(
            "text", .string(minLength: 1, maxLength: maxLength, format: .template), required: true, title: "Text",
            description: description)
    }
}
