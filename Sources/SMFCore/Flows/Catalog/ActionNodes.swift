/// Actions do something outside the flow (send, reply, respond). Every
/// action must have an incoming edge.
enum ActionNodes {
    static let all: [NodeType] = [telegramSendMessage, instagramReplyComment, instagramPrivateReply, instagramSendMessage, webhookRespond]

    static let input = PortSpec(name: "input", type: .text)
    static let sent = PortSpec(name: "sent", type: .json)

    static let telegramSendMessage = NodeType(
        id: "telegram.send_message", category: .action, title: "Send Telegram message",
        description: "Sends a message to the chat the trigger message came from.",
        inputs: [input], outputs: [sent],
        settings: SettingSchema([
            CommonSettings.credential(.telegramBot, title: "Telegram bot"),
            CommonSettings.text(maxLength: 4096, description: "The message; {{input}} is the incoming text."),
            SettingSpec(
                "parse_mode", .enumeration(["plain", "MarkdownV2", "HTML"]), title: "Parse mode",
                description: "How Telegram formats the text.", default: "plain"),
        ]))

    static let instagramReplyComment = NodeType(
        id: "instagram.reply_comment", category: .action, title: "Reply to Instagram comment",
        description: "Replies publicly to the comment that triggered the flow.",
        inputs: [input], outputs: [sent],
        settings: SettingSchema([
            CommonSettings.credential(.instagramAccount, title: "Instagram account"),
            CommonSettings.text(maxLength: 2200, description: "The reply; {{input}} is the incoming text."),
        ]))

    static let instagramPrivateReply = NodeType(
        id: "instagram.private_reply", category: .action, title: "Private reply to Instagram comment",
        description: "Sends a direct message to the author of the comment that triggered the flow.",
        inputs: [input], outputs: [sent],
        settings: SettingSchema([
            CommonSettings.credential(.instagramAccount, title: "Instagram account"),
            CommonSettings.text(maxLength: 1000, description: "The message; {{input}} is the incoming text."),
        ]))

    static let instagramSendMessage = NodeType(
        id: "instagram.send_message", category: .action, title: "Send Instagram message",
        description: "Sends a direct message in the conversation that triggered the flow.",
        inputs: [input], outputs: [sent],
        settings: SettingSchema([
            CommonSettings.credential(.instagramAccount, title: "Instagram account"),
            CommonSettings.text(maxLength: 1000, description: "The message; {{input}} is the incoming text."),
        ]))

    static let webhookRespond = NodeType(
        id: "webhook.respond", category: .action, title: "Respond to webhook",
        description: "Sets the HTTP response of the webhook request that triggered the flow.",
        inputs: [input],
        settings: SettingSchema([
            SettingSpec(
                "status", .integer(minimum: 200, maximum: 599), title: "Status",
                description: "The HTTP status code.", default: 200),
            SettingSpec(
                "body", .string(maxLength: 16384, format: .template), title: "Body",
                description: "The response body; may use {{placeholders}}."),
            SettingSpec(
                "content_type", .enumeration(["application/json", "text/plain"]), title: "Content type",
                description: "The response's Content-Type.", default: "application/json"),
        ]))
}
