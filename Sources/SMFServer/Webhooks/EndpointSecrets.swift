import Fluent
import Foundation
import SMFCore
import SMFSecurity

/// The secrets webhook authentication needs: an endpoint's own sealed
/// secret (Telegram secret token, generic HMAC key) and, for Meta, the
/// Instagram credential's app secret and verify token. All sealed by the
/// vault; an endpoint secret's associated data binds it to its row.
struct EndpointSecrets: Sendable {
    let vault: CredentialVault?

    struct InstagramAccount: Sendable {
        let appSecret: String?
        let verifyToken: String?
        let igUserID: String?
    }

    func seal(_ secret: String, workspaceID: UUID, endpointID: UUID) throws -> (sealed: String, keyID: String) {
        guard let vault else { throw CredentialVault.Failure.notConfigured }
        let sealed = try vault.box.seal(Data(secret.utf8), associatedData: SecretBox.credentialContext(workspaceID: workspaceID, credentialID: endpointID))
        return (sealed, vault.currentKeyID)
    }

    /// The endpoint's secret, or nil (missing, or it does not open) — the
    /// caller then refuses every delivery: fail closed.
    func open(_ endpoint: WebhookEndpointRecord) -> String? {
        guard let vault, let sealed = endpoint.sealedSecret,
              let plain = try? vault.box.open(sealed, associatedData: SecretBox.credentialContext(
                workspaceID: endpoint.workspaceID, credentialID: endpoint.id))
        else { return nil }
        return String(data: plain, encoding: .utf8)
    }

    /// The Instagram credential behind a Meta endpoint (read with the
    /// endpoint); nil when it is gone or does not open (every delivery is
    /// then refused).
    func instagramAccount(_ endpoint: WebhookEndpointRecord) -> InstagramAccount? {
        guard let vault, let credentialID = endpoint.credentialID, let sealed = endpoint.credentialSealed,
              endpoint.credentialKind == CredentialKind.instagramAccount.rawValue,
              let secrets = try? vault.open(sealed: sealed, workspaceID: endpoint.workspaceID, credentialID: credentialID)
        else { return nil }
        return InstagramAccount(appSecret: secrets.reveal("app_secret"), verifyToken: secrets.reveal("verify_token"),
                                igUserID: CredentialVault.decodeObject(endpoint.credentialPublicFields)["ig_user_id"])
    }
}
