import Fluent
import Foundation
import SMFCore
import SMFSecurity
import SQLKit
import Vapor

/// What a deploy tells the caller about the flow's incoming webhook.
struct WebhookInfo: Content, Equatable {
    let kind: String
    /// Null without `SMF_PUBLIC_URL`: the path is then relative to wherever the server is reachable.
    let url: String?
    let path: String
    /// Generic webhooks only, and only in the deploy that created the
    /// endpoint: the HMAC signing secret, shown once (stored sealed).
    var signing_secret: String?

    // `url` is null without SMF_PUBLIC_URL; the secret is absent unless just created.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(url, forKey: .url)
        try container.encode(path, forKey: .path)
        try container.encodeIfPresent(signing_secret, forKey: .signing_secret)
    }
}

/// Keeps a deployed flow's trigger reachable: its webhook endpoint (one per
/// bot or Instagram account, one per flow for generic webhooks), its row in
/// `flow_triggers`, and for Telegram the bot's `setWebhook` registration.
///
/// A deploy `prepare`s before it commits — the endpoint exists and Telegram
/// was told where to deliver, or the deploy fails with nothing changed in
/// the flow — then `commit`s the trigger row in the deploy's transaction.
struct TriggerRegistration {
    let services: ExecutionServices
    let workspaceID: UUID
    let flowID: UUID
    let version: Int
    let trigger: FlowNode
    let logger: Logger
    private(set) var endpoint: WebhookEndpoint?
    /// A generic endpoint made by this deploy: created in the deploy's
    /// transaction, so a failed deploy leaves no endpoint whose signing
    /// secret nobody saw.
    private var createInCommit = false
    private(set) var info: WebhookInfo?

    static let webhookTriggers: [String: WebhookKind] = [
        "telegram.update": .telegram, "instagram.comment": .meta, "instagram.message": .meta, "webhook.generic": .generic,
    ]

    init(services: ExecutionServices, workspaceID: UUID, flowID: UUID, version: Int, document: FlowDocument, logger: Logger) throws {
        guard let trigger = document.nodes.first(where: { NodeCatalog.standard.type(id: $0.type, version: $0.version)?.category == .trigger })
        else { throw SMFError.internalError }  // deploy validation guarantees exactly one
        self.services = services
        self.workspaceID = workspaceID
        self.flowID = flowID
        self.version = version
        self.trigger = trigger
        self.logger = logger
    }

    mutating func prepare(on db: any Database, now: Date) async throws {
        guard let kind = Self.webhookTriggers[trigger.type] else { return }
        let credentialID = trigger.settings["credential"]?.stringValue.flatMap(UUID.init(uuidString:))
        let existing: WebhookEndpoint?
        switch kind {
        case .generic:
            existing = try await WebhookEndpoint.query(on: db).filter(\.$flowID == flowID).filter(\.$kind == kind.rawValue).first()
        case .telegram, .meta:
            guard let credentialID else { throw SMFError.internalError }
            existing = try await WebhookEndpoint.query(on: db).filter(\.$credentialID == credentialID)
                .filter(\.$kind == kind.rawValue).first()
        }
        var shownSecret: String?
        let endpoint: WebhookEndpoint
        if let existing {
            endpoint = existing
        } else {
            guard services.vault != nil else {
                throw SMFError(.conflict, code: "encryption-key-required", title: "Encryption key required",
                               detail: "Webhook secrets are stored encrypted: set SMF_ENCRYPTION_KEY to deploy a flow with a webhook trigger.")
            }
            endpoint = WebhookEndpoint()
            let endpointID = UUID()
            endpoint.id = endpointID
            endpoint.workspaceID = workspaceID
            endpoint.kind = kind.rawValue
            endpoint.token = OpaqueToken.generate()
            endpoint.credentialID = kind == .generic ? nil : credentialID
            endpoint.flowID = kind == .generic ? flowID : nil
            endpoint.createdAt = now
            endpoint.updatedAt = now
            if kind != .meta {
                // Telegram: the secret_token setWebhook gets; generic: the HMAC key.
                let secret = TelegramSecretToken.generate()
                let sealed = try services.endpointSecrets.seal(secret, workspaceID: workspaceID, endpointID: endpointID)
                endpoint.sealedSecret = sealed.sealed
                endpoint.keyID = sealed.keyID
                if kind == .generic { shownSecret = secret }
            }
            if kind == .generic {
                createInCommit = true
            } else {
                // Telegram needs the row before setWebhook; a failed deploy
                // leaves it for the next one (one per credential, reused).
                try await endpoint.create(on: db)
            }
        }
        if kind == .telegram { try await registerTelegram(endpoint, credentialID: credentialID, on: db) }
        self.endpoint = endpoint
        let path = "/hooks/\(kind.rawValue)/\(endpoint.token)"
        info = WebhookInfo(kind: kind.rawValue, url: services.webhookURL(kind: kind, token: endpoint.token), path: path,
                           signing_secret: shownSecret)
    }

    /// Tells Telegram to deliver this bot's updates to the endpoint, with the
    /// endpoint's secret token and the update types every flow on the bot
    /// asks for (this one included).
    private func registerTelegram(_ endpoint: WebhookEndpoint, credentialID: UUID?, on db: any Database) async throws {
        guard let url = services.webhookURL(kind: .telegram, token: endpoint.token) else {
            throw SMFError(.conflict, code: "public-url-required", title: "Public URL required",
                           detail: "Telegram delivers to an HTTPS address: set SMF_PUBLIC_URL to deploy a Telegram flow.")
        }
        guard let vault = services.vault, let credentialID,
              let bot = try? await vault.material(credentialID: credentialID, workspaceID: workspaceID, on: db),
              let token = bot.secrets.reveal("bot_token"),
              let record = try? await WebhookEndpointRecord.find(kind: .telegram, token: endpoint.token, on: db),
              let secret = services.endpointSecrets.open(record)
        else {
            throw SMFError(.conflict, code: "credential-unusable", title: "Credential unusable",
                           detail: "The flow's Telegram bot credential has no usable token.")
        }
        var settings = try await DeployedTrigger.forEndpoint(try endpoint.requireID(), on: db)
            .filter { $0.flowID != flowID }.map(\.settings)
        settings.append(trigger.settings)
        do {
            try await services.telegram.setWebhook(
                token: token, url: url, secretToken: secret, allowedUpdates: TriggerFilter.telegramAllowedUpdates(settings))
        } catch {
            // The platform's own text stays in the log: the client learns the kind of failure only.
            logger.warning("telegram setWebhook failed", metadata: ["endpoint_id": "\(endpoint.id?.uuidString ?? "-")", "error": "\(error)"])
            let reason: String
            switch error {
            case .timeout, .transport: reason = "Telegram did not answer"
            case .http(let status, _, _): reason = "Telegram answered HTTP \(status)"
            case .rateLimited: reason = "Telegram is rate limiting this bot"
            default: reason = "Telegram's answer was not usable"
            }
            throw SMFError(.badGateway, code: "webhook-registration-failed", title: "Webhook registration failed",
                           detail: "\(reason); the flow was not deployed. Try again.")
        }
    }

    /// The trigger row, in the deploy's transaction (replaces the flow's previous one).
    func commit(on db: any Database) async throws {
        if createInCommit, let endpoint { try await endpoint.create(on: db) }
        try await Self.remove(flowID: flowID, on: db)
        let row = FlowTrigger()
        row.id = UUID()
        row.flowID = flowID
        row.workspaceID = workspaceID
        row.endpointID = endpoint?.id
        row.triggerType = trigger.type
        row.flowVersion = version
        row.settings = try FlowDocumentCodec.encode(JSONValue.object(trigger.settings)).text
        try await row.create(on: db)
    }

    /// Undeploy and delete: the flow no longer receives events.
    static func remove(flowID: UUID, on db: any Database) async throws {
        try await FlowTrigger.query(on: db).filter(\.$flowID == flowID).delete()
    }
}
