/// The node types SMFCore runs itself, without I/O: the triggers,
/// `text.template`, the two routers and `webhook.respond`. Everything else
/// goes to the `ExternalNodeRunner`.
enum BuiltinNodes {
    static let processorsAndActions: Set<String> = ["text.template", "route.keyword", "route.condition", "webhook.respond"]

    static func handles(_ type: NodeType) -> Bool {
        type.category == .trigger || processorsAndActions.contains(type.id)
    }

    struct Output: Sendable {
        var outputs: [String: PortValue]
        var webhookResponse: WebhookResponse?
    }

    /// Runs a built-in node on converted inputs.
    static func run(_ node: PlannedNode, inputs: [String: [PortValue]], message: JSONValue) throws(RouterError) -> Output {
        let input = inputs["input"] ?? []
        if node.type.category == .trigger {
            return Output(outputs: ["message": .message(triggerMessage(node, message: message))])
        }
        switch node.type.id {
        case "text.template":
            let template = node.settings["template"]?.stringValue ?? ""
            return Output(outputs: ["output": .text(TemplateRenderer(inputs: input, message: message).render(template))])
        case "route.keyword":
            let value = input.first ?? .message(message)
            let port = try KeywordRouter(settings: node.settings).route(value.textValue ?? "")
            return Output(outputs: [port: value])
        case "route.condition":
            let value = input.first ?? .message(message)
            let holds = try ConditionRouter(settings: node.settings).holds(in: TemplateRenderer(inputs: [value], message: message))
            return Output(outputs: [holds ? "true" : "false": value])
        case "webhook.respond":
            let renderer = TemplateRenderer(inputs: input, message: message)
            let body = node.settings["body"]?.stringValue.map { renderer.render($0) } ?? renderer.resolve("input")
            let status = node.settings["status"]?.integerValue.map(Int.init) ?? 200
            let contentType = node.settings["content_type"]?.stringValue ?? "application/json"
            return Output(outputs: [:], webhookResponse: WebhookResponse(status: status, body: body, contentType: contentType))
        default:
            throw RouterError("\(node.type.id) is not a built-in node")
        }
    }

    /// The trigger's output: the message as received; a manual run without
    /// a text gets the trigger's `sample_text`.
    static func triggerMessage(_ node: PlannedNode, message: JSONValue) -> JSONValue {
        guard node.type.id == "manual", case .object(var members) = message, members["text"] == nil,
            let sample = node.settings["sample_text"]?.stringValue
        else { return message }
        members["text"] = .string(sample)
        return .object(members)
    }
}
