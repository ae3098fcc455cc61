import Fluent

/// Every migration, in the order it runs. New migrations are appended here
/// (files in `Migrations/NNN/`), never edited once shipped.
enum AppMigrations {
    static let all: [any Migration] = [
        // 001 — identity and access (issue 3)
        CreateUser(),
        CreateSession(),
        CreateWorkspace(),
        CreateInvitation(),
        CreateAPIKey(),
        CreateSecurityEvent(),
        CreateLoginThrottle(),
        // 002 — shared rate-limit state (issue 4)
        CreateRateLimit(),
        // 003 — flows, versions, credential identities (issue 7)
        CreateCredential(),
        CreateFlow(),
        CreateFlowVersion(),
        // 004 — credential vault: sealed secrets, key id, hints (issue 8)
        UpdateCredentialAddSecrets(),
        // 005 — durable job queue (issue 8)
        CreateJob(),
        // 006 — webhook endpoints, deployed triggers, events, executions (issue 8)
        CreateWebhookEndpoint(),
        CreateFlowTrigger(),
        CreateWebhookEvent(),
        CreateExecution(),
        // 007 — successful backups, read by /metrics, backup --check, audit (issue 9)
        CreateBackupRun(),
        // 008 — keyed token hashes, secret-key rotation (issue 9)
        UpdateTokensAddHashKeyID(), CreateSecretKeyRetirement(),
        // 009 — persisted request statistics and resource samples, weekly security report (issue 9)
        CreateRequestStats(), CreateResourceSamples(),
    ]

    static var names: [String] { all.map(\.name) }
}
