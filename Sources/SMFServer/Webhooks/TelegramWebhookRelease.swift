import Fluent
import Foundation
import Vapor

/// Tells Telegram to stop delivering to a bot whose endpoint no deployed flow
/// uses any more: after an undeploy, a delete, or a deploy whose trigger moved
/// to another bot.
///
/// Without it Telegram keeps posting every update to `/hooks/telegram/…`,
/// where it is stored as unrouted: data kept for nobody. The call happens
/// after the flow's change has committed and is best effort: a failure is
/// logged (the platform's text stays in the log) and the change stands,
/// because the flow is already offline either way.
///
/// Known race, left alone: a deploy of another flow on the same bot that
/// commits between the "no trigger left" check and `deleteWebhook` has its
/// registration removed; deploying again restores it.
struct TelegramWebhookRelease {
    let services: ExecutionServices
    let logger: Logger

    /// The Telegram endpoints the flow's trigger rows point at, read before
    /// the change that removes them.
    static func endpoints(ofFlow flowID: UUID, on db: any Database) async throws -> Set<UUID> {
        let rows = try await FlowTrigger.query(on: db).filter(\.$flowID == flowID)
            .filter(\.$triggerType == "telegram.update").all()
        return Set(rows.compactMap(\.endpointID))
    }

    /// Calls `deleteWebhook` for each endpoint that no deployed trigger uses.
    /// Returns the endpoints released (tests and logs).
    @discardableResult
    func release(_ endpointIDs: Set<UUID>, workspaceID: UUID, on db: any Database) async -> Set<UUID> {
        var released: Set<UUID> = []
        for endpointID in endpointIDs.sorted(by: { $0.uuidString < $1.uuidString }) {
            do {
                guard try await DeployedTrigger.forEndpoint(endpointID, on: db).isEmpty,
                      let endpoint = try await WebhookEndpoint.find(endpointID, on: db),
                      endpoint.kind == WebhookKind.telegram.rawValue, endpoint.workspaceID == workspaceID,
                      let credentialID = endpoint.credentialID, let vault = services.vault
                else { continue }
                let bot = try await vault.material(credentialID: credentialID, workspaceID: workspaceID, on: db)
                guard let token = bot.secrets.reveal("bot_token") else { continue }
                try await services.telegram.deleteWebhook(token: token)
                released.insert(endpointID)
                logger.notice("telegram webhook released: no deployed flow uses the bot", metadata: [
                    "endpoint_id": .string(endpointID.uuidString),
                ])
            } catch {
                logger.warning("telegram deleteWebhook failed", metadata: [
                    "endpoint_id": .string(endpointID.uuidString), "error": .string("\(error)"),
                ])
            }
        }
        return released
    }
}
