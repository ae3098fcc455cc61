import Fluent
import Foundation
import SMFCore
import SQLKit

/// An endpoint as the ingest path needs it, read with ONE indexed query
/// (the token is unique) that also brings its credential's sealed secrets
/// and public fields (Meta): a known endpoint with a bad signature and an
/// unknown one cost the same database work, so timing does not tell them
/// apart.
struct WebhookEndpointRecord: Sendable {
    let id: UUID
    let workspaceID: UUID
    let kind: WebhookKind
    let credentialID: UUID?
    let flowID: UUID?
    let sealedSecret: String?
    /// The credential's sealed secrets and public fields (JSON), when it has one.
    let credentialSealed: String?
    let credentialPublicFields: String?
    let credentialKind: String?

    /// Tokens are base64url of 24 random bytes; anything else cannot be one
    /// and is refused before a query runs.
    static func isWellFormed(token: String) -> Bool {
        (16...64).contains(token.utf8.count)
            && token.utf8.allSatisfy { $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }

    static func find(kind: WebhookKind, token: String, on database: any Database) async throws -> WebhookEndpointRecord? {
        guard isWellFormed(token: token), let sql = database as? any SQLDatabase else { return nil }
        struct Row: Decodable {
            let id: UUID
            let workspace_id: UUID
            let credential_id: UUID?
            let flow_id: UUID?
            let sealed_secret: String?
            let credential_sealed: String?
            let credential_public_fields: String?
            let credential_kind: String?
        }
        // The credential must be of the endpoint's workspace (it always is;
        // the join says so again).
        let row = try await sql.raw("""
            SELECT e.id, e.workspace_id, e.credential_id, e.flow_id, e.sealed_secret,
                   c.sealed AS credential_sealed, c.public_fields AS credential_public_fields, c.kind AS credential_kind
            FROM webhook_endpoints e
            LEFT JOIN credentials c ON c.id = e.credential_id AND c.workspace_id = e.workspace_id
            WHERE e.token = \(bind: token) AND e.kind = \(bind: kind.rawValue)
            """).first(decoding: Row.self)
        return row.map {
            WebhookEndpointRecord(id: $0.id, workspaceID: $0.workspace_id, kind: kind, credentialID: $0.credential_id,
                                  flowID: $0.flow_id, sealedSecret: $0.sealed_secret, credentialSealed: $0.credential_sealed,
                                  credentialPublicFields: $0.credential_public_fields, credentialKind: $0.credential_kind)
        }
    }
}

/// A deployed flow's trigger, as stored at deploy time (`FlowTrigger`).
struct DeployedTrigger: Sendable {
    let flowID: UUID
    let flowVersion: Int
    let triggerType: String
    let settings: [String: JSONValue]

    static func forEndpoint(_ endpointID: UUID, on database: any Database) async throws -> [DeployedTrigger] {
        guard let sql = database as? any SQLDatabase else { return [] }
        struct Row: Decodable {
            let flow_id: UUID
            let flow_version: Int
            let trigger_type: String
            let settings: String
        }
        return try await sql.select()
            .columns("flow_id", "flow_version", "trigger_type", "settings")
            .from(FlowTrigger.schema)
            .where("endpoint_id", .equal, SQLBind(endpointID))
            .all(decoding: Row.self)
            .map { DeployedTrigger(flowID: $0.flow_id, flowVersion: $0.flow_version, triggerType: $0.trigger_type,
                                   settings: Self.settings($0.settings)) }
    }

    /// Stored by the deploy from a validated document; an unreadable value
    /// (never expected) means no filters rather than a failed delivery.
    static func settings(_ text: String) -> [String: JSONValue] {
        if case .object(let members)? = try? JSONValue(parsing: text) { return members }
        return [:]
    }
}
