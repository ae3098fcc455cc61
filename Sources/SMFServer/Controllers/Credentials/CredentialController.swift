import Fluent
import Foundation
import SMFCore
import SQLKit
import Vapor

/// `/api/v1/workspaces/:workspaceID/credentials`: the credential vault
/// (issue 8). Secret fields are write-only: they are sealed by
/// `CredentialVault` on the way in and never read back by any route here —
/// answers carry metadata, public fields and masked hints only. Every query
/// is scoped to the caller's workspace; another workspace's credential is
/// the same 404 as one that does not exist.
enum CredentialController {
    @Sendable static func create(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        let vault = try requireVault(request)
        let input = try CreateBody(request, context: fieldContext(request))
        let now = request.application.smf.clock.now()
        let credential = Credential(workspaceID: grant.workspaceID, kind: input.kind.rawValue, name: input.name, now: now)
        credential.createdMilliseconds = request.application.smf.clock.milliseconds()
        credential.id = UUID()
        try vault.store(secrets: input.checked.secrets, publicFields: input.checked.publicFields, in: credential, now: now)
        try await credential.create(on: request.db)
        await record(.credentialCreated, credential, grant: grant, request: request)
        let response = try await body(for: credential).encodeResponse(status: .created, for: request)
        let workspace = grant.workspaceID.uuidString.lowercased()
        response.headers.replaceOrAdd(name: .location,
                                      value: "/api/v1/workspaces/\(workspace)/credentials/\(try credential.requireID().uuidString.lowercased())")
        return response
    }

    /// `GET /credentials?limit&cursor&kind`: newest first, keyset-paginated
    /// on (creation time, id).
    @Sendable static func list(_ request: Request) async throws -> CredentialPage {
        let grant = try request.grant()
        var query = try StrictQuery(request, allowed: ["limit", "cursor", "kind"])
        let limit = query.integer("limit", in: 1...100) ?? 50
        let kind = query.choice("kind", CredentialKind.self)
        var cursor: KeysetCursor?
        if let raw = query.string("cursor", maxLength: 512, problem: "Use the next_cursor of a previous page.") {
            cursor = KeysetCursor(raw, list: .credentials)
            if cursor == nil { query.record("cursor", "Use the next_cursor of a previous page.") }
        }
        try query.finish()

        let rows = Credential.query(on: request.db).filter(\.$workspaceID == grant.workspaceID)
        if let kind { rows.filter(\.$kind == kind.rawValue) }
        if let cursor {
            rows.group(.or) { or in
                or.filter(\.$createdMilliseconds < cursor.createdMilliseconds)
                or.group(.and) { and in
                    and.filter(\.$createdMilliseconds == cursor.createdMilliseconds).filter(\.$id < cursor.id)
                }
            }
        }
        let found = try await rows.sort(\.$createdMilliseconds, .descending).sort(\.$id, .descending).limit(limit + 1).all()
        let page = Array(found.prefix(limit))
        let next = found.count > limit
            ? try page.last.map { KeysetCursor(.credentials, createdMilliseconds: $0.createdMilliseconds ?? 0, id: try $0.requireID()).encoded }
            : nil
        return CredentialPage(items: try page.map(body(for:)), next_cursor: next)
    }

    @Sendable static func read(_ request: Request) async throws -> CredentialBody {
        let grant = try request.grant()
        return try body(for: try await load(request, grant: grant))
    }

    /// `PUT /credentials/:credentialID/secrets`: replaces the secrets as a
    /// whole (and public fields that are given), under the current key.
    @Sendable static func replaceSecrets(_ request: Request) async throws -> CredentialBody {
        let grant = try request.grant()
        let vault = try requireVault(request)
        let credential = try await load(request, grant: grant)
        guard let kind = CredentialKind(rawValue: credential.kind) else { throw SMFError.internalError }
        let input = try ReplaceSecretsBody(request, kind: kind, context: fieldContext(request))
        var publicFields = CredentialVault.decodeObject(credential.publicFields)
        publicFields.merge(input.checked.publicFields) { _, new in new }
        let now = request.application.smf.clock.now()
        try vault.store(secrets: input.checked.secrets, publicFields: publicFields, in: credential, now: now)
        try await credential.save(on: request.db)
        await record(.credentialSecretsReplaced, credential, grant: grant, request: request,
                     extra: ["fields": input.checked.secrets.keys.sorted().joined(separator: ",")])
        return try body(for: credential)
    }

    /// `DELETE /credentials/:credentialID`: refused (409) while a deployed
    /// flow version references the credential — deleting it would break a
    /// live flow at its next event.
    @Sendable static func delete(_ request: Request) async throws -> HTTPStatus {
        let grant = try request.grant()
        let credential = try await load(request, grant: grant)
        let id = try credential.requireID()
        let users = try await deployedFlows(using: id, workspaceID: grant.workspaceID, on: request.db)
        guard users.isEmpty else {
            let shown = users.prefix(10).map { $0.uuidString.lowercased() }.joined(separator: ", ")
            throw SMFError(.conflict, code: "credential-in-use", title: "Conflict",
                           detail: "Deployed flows use this credential (\(shown)); undeploy them or change their settings first.")
        }
        try await Credential.query(on: request.db).filter(\.$id == id).filter(\.$workspaceID == grant.workspaceID).delete()
        await record(.credentialDeleted, credential, grant: grant, request: request)
        return .noContent
    }
}

// MARK: - Helpers

extension CredentialController {
    static let vaultNotConfigured = SMFError(
        .serviceUnavailable, code: "vault-not-configured", title: "Service unavailable",
        detail: "Credentials cannot be stored: the server has no encryption key configured.")

    static func requireVault(_ request: Request) throws -> CredentialVault {
        guard let vault = CredentialVault(config: request.application.smf.config) else { throw vaultNotConfigured }
        return vault
    }

    static func fieldContext(_ request: Request) -> CredentialFields.Context {
        .init(allowLoopbackHTTP: request.application.smf.config.allowLoopbackOutbound)
    }

    /// The credential named by `:credentialID` in the caller's workspace, else 404.
    static func load(_ request: Request, grant: WorkspaceGrant) async throws -> Credential {
        guard let id = request.parameters.get("credentialID", as: UUID.self),
              let credential = try await Credential.query(on: request.db).filter(\.$id == id)
                .filter(\.$workspaceID == grant.workspaceID).first()
        else { throw SMFError.resourceNotFound }
        return credential
    }

    /// The workspace's deployed flows whose live version references `credentialID`.
    static func deployedFlows(using credentialID: UUID, workspaceID: UUID, on database: any Database) async throws -> [UUID] {
        let target = credentialID.uuidString.lowercased()
        let flows = try await Flow.query(on: database).filter(\.$workspaceID == workspaceID)
            .filter(\.$status == FlowStatus.deployed.rawValue).all()
        var found: [UUID] = []
        for flow in flows {
            guard let number = flow.deployedVersion, let flowID = flow.id,
                  let version = try await FlowVersion.query(on: database).filter(\.$flowID == flowID)
                    .filter(\.$number == number).first()
            else { continue }
            // Cheap pre-check before parsing: the id must occur in the text.
            guard version.document.range(of: target, options: .caseInsensitive) != nil else { continue }
            let document = try FlowDocumentCodec.decode(version.document)
            if FlowValidator.credentialReferences(in: document, catalog: .standard).contains(target) { found.append(flowID) }
        }
        return found
    }

    static func record(
        _ type: SecurityEventType, _ credential: Credential, grant: WorkspaceGrant, request: Request,
        extra: [String: String] = [:]
    ) async {
        var details = ["credential_id": credential.id?.uuidString.lowercased() ?? "", "kind": credential.kind]
        if let keyID = credential.keyID, type != .credentialDeleted { details["key_id"] = keyID }
        details.merge(extra) { current, _ in current }
        await request.application.smf.events.record(
            type, .success, on: request, userID: grant.caller.userID, apiKeyID: grant.caller.apiKeyID,
            workspaceID: grant.workspaceID, details: details)
    }
}
