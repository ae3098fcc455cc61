/// The kinds of stored credential a node can reference. The raw values are
/// the API's and the database's spelling; never rename one.
public enum CredentialKind: String, Sendable, Codable, CaseIterable {
    case telegramBot = "telegram.bot"
    case instagramAccount = "instagram.account"
    case llmOpenAICompatible = "llm.openai_compatible"
    case httpHeader = "http.header"
}
