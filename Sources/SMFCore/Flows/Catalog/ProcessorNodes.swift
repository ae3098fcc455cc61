/// Processors transform or route what flows through them.
enum ProcessorNodes {
    static let all: [NodeType] = [llmChat, textTemplate, routeKeyword, routeCondition, httpRequest, transcribeAudio]

    static let llmChat = NodeType(
        id: "llm.chat", category: .processor, title: "LLM chat",
        description: "Sends the input to an OpenAI-compatible chat model and outputs its answer.",
        inputs: [PortSpec(name: "input", type: .text)],
        outputs: [PortSpec(name: "output", type: .text)],
        settings: SettingSchema([
            CommonSettings.credential(.llmOpenAICompatible, title: "LLM server"),
            CommonSettings.model,
            SettingSpec(
                "system_prompt", .string(maxLength: 8192, format: .template), title: "System prompt",
                description: "Instructions for the model; may use {{placeholders}} such as {{input}}."),
            SettingSpec(
                "temperature", .number(minimum: 0, maximum: 2), title: "Temperature",
                description: "Sampling temperature.", default: 0.7),
            SettingSpec(
                "max_tokens", .integer(minimum: 1, maximum: 32768), title: "Max tokens",
                description: "The most tokens the answer may have.", default: 1024),
            SettingSpec(
                "timeout_seconds", .integer(minimum: 1, maximum: 120), title: "Timeout",
                description: "Seconds to wait for the answer.", default: 30),
        ]))

    static let textTemplate = NodeType(
        id: "text.template", category: .processor, title: "Text template",
        description: "Renders a template with {{placeholders}} from its inputs and the trigger message.",
        inputs: [PortSpec(name: "input", type: .text, multiple: true)],
        outputs: [PortSpec(name: "output", type: .text)],
        settings: SettingSchema([
            SettingSpec(
                "template", .string(minLength: 1, maxLength: 8192, format: .template), required: true,
                title: "Template", description: "The text to produce, e.g. \"Hello {{message.from.username}}\".")
        ]))

    /// Case-insensitive keyword and/or regex branches; the first matching
    /// branch (in list order) gets the message, `otherwise` when none does.
    static let routeKeyword = NodeType(
        id: "route.keyword", category: .processor, title: "Route by keyword",
        description: "Sends the message to the first branch whose keywords or regex match its text, else to otherwise.",
        inputs: [PortSpec(name: "input", type: .message)],
        outputs: [PortSpec(name: "otherwise", type: .message)],
        dynamicOutputs: DynamicOutputs(setting: "branches", nameField: "port", type: .message),
        settings: SettingSchema(
            [
                SettingSpec(
                    "branches",
                    .list(
                        of: .object([
                            SettingSpec(
                                "port", .string(minLength: 1, maxLength: 32, format: .portName), required: true,
                                title: "Port", description: "The output port this branch sends to."),
                            SettingSpec(
                                "keywords", .list(of: .string(minLength: 1, maxLength: 100), minItems: 1, maxItems: 50),
                                title: "Keywords", description: "Matches when the text contains one of these (case-insensitive)."),
                            SettingSpec(
                                "regex", .string(minLength: 1, maxLength: RegexGuard.maxLength, format: .regex),
                                title: "Regex", description: "Matches when this regular expression (case-insensitive) finds a match."),
                        ]), minItems: 1, maxItems: 20),
                    required: true, title: "Branches", description: "Tried in order; each becomes an output port."),
                SettingSpec(
                    "match", .enumeration(["contains", "whole_word", "exact"]), title: "Keyword match",
                    description: "How keywords match the text.", default: "contains"),
            ],
            rules: [
                .itemsNeedOneOf(list: "branches", fields: ["keywords", "regex"]),
                .uniqueItemField(list: "branches", field: "port", reserved: ["otherwise"]),
            ]))

    static let conditionOperators = [
        "equals", "not_equals", "contains", "starts_with", "ends_with", "greater_than", "less_than", "exists",
    ]

    static let routeCondition = NodeType(
        id: "route.condition", category: .processor, title: "Route by condition",
        description: "Compares a field of the message with a value and sends the message to true or false.",
        inputs: [PortSpec(name: "input", type: .message)],
        outputs: [PortSpec(name: "true", type: .message), PortSpec(name: "false", type: .message)],
        settings: SettingSchema(
            [
                SettingSpec(
                    "field", .string(minLength: 1, maxLength: 600, format: .fieldPath), required: true,
                    title: "Field", description: "The field to compare, e.g. message.text or message.from.id."),
                SettingSpec(
                    "operator", .enumeration(conditionOperators), required: true, title: "Operator",
                    description: "How to compare; greater_than and less_than compare numbers."),
                SettingSpec(
                    "value", .scalar(maxLength: 1024), title: "Value",
                    description: "What to compare with; required unless the operator is exists."),
            ],
            rules: [
                .requiredUnless(setting: "value", other: "operator", values: ["exists"]),
                .numericWhen(setting: "value", other: "operator", values: ["greater_than", "less_than"]),
            ]))

    static let httpRequest = NodeType(
        id: "http.request", category: .processor, title: "HTTP request",
        description: "Calls an HTTP endpoint (public addresses only) and outputs the response as JSON.",
        inputs: [PortSpec(name: "input", type: .text)],
        outputs: [PortSpec(name: "response", type: .json)],
        settings: SettingSchema([
            SettingSpec(
                "method", .enumeration(["GET", "POST", "PUT", "PATCH", "DELETE"]), required: true, title: "Method",
                description: "The HTTP method."),
            SettingSpec(
                "url", .string(minLength: 1, maxLength: 2048, format: .httpURL), required: true, title: "URL",
                description: "An absolute http or https URL; the path and query may use {{placeholders}}."),
            SettingSpec(
                "headers",
                .list(
                    of: .object([
                        SettingSpec(
                            "name", .string(minLength: 1, maxLength: 128, format: .headerName), required: true,
                            title: "Name", description: "A header name; hop-by-hop and framing headers are refused."),
                        SettingSpec(
                            "value", .string(maxLength: 4096, format: .headerValue), required: true, title: "Value",
                            description: "The header value; may use {{placeholders}}."),
                    ]), maxItems: 32),
                title: "Headers", description: "Extra request headers."),
            SettingSpec(
                "body", .string(maxLength: 16384, format: .template), title: "Body",
                description: "The request body; may use {{placeholders}}."),
            CommonSettings.credential(.httpHeader, title: "Authorization header", required: false),
            SettingSpec(
                "timeout_seconds", .integer(minimum: 1, maximum: 60), title: "Timeout",
                description: "Seconds to wait for the response.", default: 10),
        ]))

    static let transcribeAudio = NodeType(
        id: "transcribe.audio", category: .processor, title: "Transcribe audio",
        description: "Turns the audio of a voice message into text with an OpenAI-compatible transcription model.",
        inputs: [PortSpec(name: "audio", type: .media)],
        outputs: [PortSpec(name: "text", type: .text)],
        settings: SettingSchema([
            CommonSettings.credential(.llmOpenAICompatible, title: "LLM server"),
            CommonSettings.model,
            SettingSpec(
                "language", .string(minLength: 2, maxLength: 12, format: .languageCode), title: "Language",
                description: "The spoken language (e.g. en); detected when absent."),
        ]))
}
