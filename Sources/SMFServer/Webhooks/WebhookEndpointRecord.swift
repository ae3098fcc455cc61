import Fluent
import Foundation
import SMFCore
import SQLKit

/// An endpoint as the ingest path needs it, read with ONE indexed query
/// (the token is unique) that also brings its credential's sealed secrets
/// and public fields (Meta) and the deployed triggers on it: a known
/// endpoint with a bad signature and an unknown one cost the same database
/// round trip, so timing does not tell them apart, and an accepted delivery
/// needs no second read before its write (benchmarks/RESULTS.md: each round
/// trip costs ~300 µs of server CPU).
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
    /// The deployed flows' triggers on this endpoint (empty: none deployed).
    var triggers: [DeployedTrigger] = []

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
            let trigger_flow_id: UUID?
            let trigger_flow_version: Int?
            let trigger_type: String?
            let trigger_settings: String?
        }
        // The credential must be of the endpoint's workspace (it always is;
        // the join says so again). One row per deployed trigger, or one with
        // NULL trigger columns when none is deployed.
        let rows = try await sql.raw("""
            SELECT e.id, e.workspace_id, e.credential_id, e.flow_id, e.sealed_secret,
                   c.sealed AS credential_sealed, c.public_fields AS credential_public_fields, c.kind AS credential_kind,
                   t.flow_id AS trigger_flow_id, t.flow_version AS trigger_flow_version, t.trigger_type AS trigger_type,
                   t.settings AS trigger_settings
            FROM webhook_endpoints e
            LEFT JOIN credentials c ON c.id = e.credential_id AND c.workspace_id = e.workspace_id
            LEFT JOIN flow_triggers t ON t.endpoint_id = e.id
            WHERE e.token = \(bind: token) AND e.kind = \(bind: kind.rawValue)
            """).all(decoding: Row.self)
        guard let first = rows.first else { return nil }
        var record = WebhookEndpointRecord(
            id: first.id, workspaceID: first.workspace_id, kind: kind, credentialID: first.credential_id,
            flowID: first.flow_id, sealedSecret: first.sealed_secret, credentialSealed: first.credential_sealed,
            credentialPublicFields: first.credential_public_fields, credentialKind: first.credential_kind)
        record.triggers = rows.compactMap { row in
            guard let flowID = row.trigger_flow_id, let version = row.trigger_flow_version, let type = row.trigger_type else { return nil }
            return DeployedTrigger(flowID: flowID, flowVersion: version, triggerType: type,
                                   settings: DeployedTrigger.settings(row.trigger_settings ?? "{}"))
        }
        return record
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
