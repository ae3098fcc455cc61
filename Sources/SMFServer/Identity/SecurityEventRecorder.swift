import Fluent
import Foundation
import Prometheus
import Vapor

/// The kinds of security event (issue 3's list).
enum SecurityEventType: String, Sendable, CaseIterable {
    case login = "login"                          // success | failure | throttled
    case registration = "registration"
    case logout = "logout"
    case sessionRevoked = "session.revoked"
    case passwordChanged = "password.changed"
    case apiKeyCreated = "api_key.created"
    case apiKeyUsed = "api_key.used"
    case apiKeyRevoked = "api_key.revoked"
    case invitationSent = "invitation.sent"
    case invitationAccepted = "invitation.accepted"
    case roleChanged = "role.changed"
    case memberRemoved = "member.removed"
    case authorizationDenied = "authorization.denied"
    case csrfRejected = "csrf.rejected"
    case rateLimitExceeded = "ratelimit.exceeded"
    case usageAnomaly = "usage.anomaly"
    /// What runs on incoming events changed (issue 7): who made which
    /// flow version live, or took a flow offline.
    case flowDeployed = "flow.deployed"
    case flowUndeployed = "flow.undeployed"
    /// Credential vault (issue 8): who stored, replaced or deleted which
    /// credential's secrets (ids and kind only, never a value).
    case credentialCreated = "credential.created"
    case credentialSecretsReplaced = "credential.secrets_replaced"
    case credentialDeleted = "credential.deleted"
    /// Secret-key rotation (issue 9): written by `smflow secrets
    /// rotate-secret-key` (key ids only), not from a request.
    case secretKeyRotated = "secret_key.rotated"
    case secretKeyRetired = "secret_key.retired"
    /// A browser reported a Content-Security-Policy violation of the web
    /// console (issue 11, `POST /api/v1/csp-reports`; cleaned summary only).
    case cspViolation = "csp.violation"
}

enum SecurityEventOutcome: String, Sendable {
    case success, failure, throttled, denied
    /// A detector noticed something (`usage.anomaly`); nothing was refused.
    case detected
}

/// Writes a security event three ways: a row in `security_events`, a
/// structured log line, and `security_events_total{type,outcome}`.
///
/// Values from requests are cleaned (control characters removed, length
/// capped) so that neither the log nor the table can be forged through them;
/// callers never pass secrets.
struct SecurityEventRecorder: Sendable {
    let metrics: HTTPMetrics
    let clock: AppClock

    var registry: PrometheusCollectorRegistry { metrics.registry }

    func record(
        _ type: SecurityEventType, _ outcome: SecurityEventOutcome, on request: Request,
        userID: UUID? = nil, apiKeyID: UUID? = nil, workspaceID: UUID? = nil, details: [String: String] = [:]
    ) async {
        let event = SecurityEvent()
        // Whole milliseconds: the paging cursor compares times across drivers.
        event.occurredAt = Date(timeIntervalSince1970: Double(clock.milliseconds()) / 1000)
        event.type = type.rawValue
        event.outcome = outcome.rawValue
        event.userID = userID
        event.apiKeyID = apiKeyID
        event.workspaceID = workspaceID
        event.ip = request.clientAddress
        event.userAgent = Self.clean(request.headers.first(name: .userAgent) ?? "", limit: 256)
        event.requestID = request.requestID
        let cleaned = details.reduce(into: [String: String]()) { $0[Self.clean($1.key, limit: 64)] = Self.clean($1.value, limit: 256) }
        event.details = (try? String(decoding: JSONEncoder.sorted.encode(cleaned), as: UTF8.self)) ?? "{}"

        registry.makeCounter(
            name: "security_events_total",
            labels: [("type", type.rawValue), ("outcome", outcome.rawValue)],
            help: MetricHelp.securityEvents
        ).increment()
        var metadata: Logger.Metadata = [
            "event": .string(type.rawValue), "outcome": .string(outcome.rawValue), "client_ip": .string(event.ip),
        ]
        if let userID { metadata["user_id"] = .string(userID.uuidString) }
        if let apiKeyID { metadata["api_key_id"] = .string(apiKeyID.uuidString) }
        if let workspaceID { metadata["workspace_id"] = .string(workspaceID.uuidString) }
        for (key, value) in cleaned { metadata["detail_\(key)"] = .string(value) }
        request.logger.notice("security event", metadata: metadata)
        // A request can outlive a bounded shutdown; by then the database is
        // gone (and Fluent's `request.db` would trap). The log line above
        // still has the event.
        guard !request.application.didShutdown else {
            request.logger.warning("security event not stored: the server has shut down", metadata: ["event": .string(type.rawValue)])
            return
        }
        do {
            try await event.save(on: request.db)
        } catch {
            metrics.databaseError()
            request.logger.error("security event not stored", metadata: ["event": .string(type.rawValue)])
        }
    }

    /// Removes control characters (CR, LF, …) and caps the length.
    static func clean(_ value: String, limit: Int) -> String {
        String(String(value.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f && $0 != "\u{2028}" && $0 != "\u{2029}" }).prefix(limit))
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
