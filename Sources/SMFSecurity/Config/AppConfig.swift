import Foundation

/// The server's validated configuration. Built only by `ConfigLoader`;
/// nothing else reads the environment.
public struct AppConfig: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case development, production
    }

    public enum LogLevel: String, Sendable, CaseIterable, Comparable {
        case trace, debug, info, notice, warning, error, critical

        public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public enum LogFormat: String, Sendable, CaseIterable {
        case json, text
    }

    public enum RegistrationMode: String, Sendable, CaseIterable {
        case open, invite, closed
    }

    public enum RateLimitStoreKind: String, Sendable, CaseIterable {
        case memory, postgres
    }

    public var mode: Mode = .development
    public var secretKey: SecretValue?
    public var encryptionKey: SecretValue?
    public var database: DatabaseLocation = .sqlite(path: "data/smflow.sqlite")
    /// Whether `database` came from DATABASE_URL (or is the built-in default).
    public var databaseIsExplicit = false
    public var corsOrigins: [CORSOrigin] = []
    public var trustedProxies: [CIDR] = []
    public var adminNetworks: [CIDR] = CIDR.loopback
    public var maxBodyBytes = 1 << 20
    public var maxJSONDepth = 32
    public var logLevel: LogLevel = .info
    public var logFormat: LogFormat = .text
    public var publicURL: String?
    public var hostname = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "data"
    public var shutdownTimeoutSeconds = 10
    public var idleTimeoutSeconds = 60
    /// nil: the mode's default (`invite` in production, `open` otherwise).
    public var registrationSetting: RegistrationMode?
    public var bcryptCost = 12
    public var sessionIdleTimeout: TimeInterval = 30 * 60
    public var sessionAbsoluteTimeout: TimeInterval = 12 * 60 * 60
    public var rateLimits: [RateLimitClass: RateLimitPolicy] = RateLimitConfiguration.defaults
    public var rateLimitStore: RateLimitStoreKind = .memory
    public var instances = 1
    public var usageAnomaly = UsageAnomalyThresholds()

    // Issue 8: credential vault, outbound calls, workers and webhooks.

    /// Keys that sealed secrets before the current one (newest first): they
    /// still open old ciphertexts while `smflow secrets rotate-encryption-key`
    /// re-encrypts them; new seals always use `encryptionKey`.
    public var encryptionKeyPrevious: [SecretValue] = []
    /// Signing keys before the current `secretKey` (issue 9): token hashes
    /// made under them are accepted only during the grace period that
    /// `smflow secrets rotate-secret-key` records, and re-hashed on use.
    public var secretKeyPrevious: [SecretValue] = []
    /// Host names (lower-cased) and CIDRs (canonical text) that outbound calls
    /// may reach although they resolve into a blocked private range.
    public var outboundAllowlist: [String] = []
    /// Whether outbound calls may reach loopback (and a credential's
    /// `base_url` may be `http://` on a loopback host). Deliberately not read
    /// from the environment: only tests set it, in code, to talk to local
    /// fakes; no deployment can switch the SSRF guard's loopback block off.
    public var allowLoopbackOutbound = false
    public var telegramAPIURL = "https://api.telegram.org"
    public var graphAPIURL = "https://graph.facebook.com/v21.0"
    public var workerConcurrency = 16
    public var jobLeaseSeconds = 60
    public var jobMaxAttempts = 5
    public var webhookMaxBodyBytes = 256 * 1024
    /// The key backups are sealed with (issue 9): 64 hex characters, checked
    /// by the loader; only `smflow backup`/`restore` need it.
    public var backupKey: SecretValue?
    /// Where pg_dump and friends are (`SMF_PG_BIN`); nil: PATH.
    public var pgBinDirectory: String?
    /// How long `/readyz` waits for the database before answering 503.
    /// Not read from the environment: one second is the contract that
    /// orchestrators' probes are tuned to (docs/CONFIGURATION.md). Tests whose
    /// subject is not the timeout raise it in code, because dozens of test
    /// apps migrating at once on 2 cores can delay a healthy SQLite
    /// `SELECT 1` past one second (CI, 2026-11-29).
    public var readinessTimeout: Duration = .seconds(1)
    /// How long a query waits for a free pooled connection before failing.
    /// `nil` keeps each driver's default: 3 s on PostgreSQL (fail fast when
    /// the database is gone) and 10 s on SQLite. Not read from the
    /// environment; tests raise it in code, because a hundred concurrent
    /// callers on a 2-core CI machine running every suite at once can queue
    /// for longer than 10 s on SQLite's single connection per event loop
    /// (CI, 2026-12-02: `.connectionRequestTimeout` in RateLimitTests).
    public var databasePoolTimeout: Duration?
    /// Whether the webhook ingest writes a one-event delivery on PostgreSQL
    /// as a single statement (`WebhookIngest`). Not read from the
    /// environment: always on in `smflow`; `smflow-testbed` turns it off
    /// when `SMF_TEST_INGEST=transaction`, so scripts/bench-webhooks can
    /// measure both paths with the same binary.
    public var webhookIngestSingleStatement = true

    public var registration: RegistrationMode {
        registrationSetting ?? (isProduction ? .invite : .open)
    }

    public init() {}

    public var isProduction: Bool { mode == .production }

    /// The effective configuration with every secret redacted, in catalog
    /// order — what `smflow config show` prints.
    public func redactedSummary() -> [(name: String, value: String)] {
        func list<T: CustomStringConvertible>(_ items: [T]) -> String {
            items.isEmpty ? "(empty)" : items.map(\.description).joined(separator: ",")
        }
        let databaseText: String = switch database {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let url): url.redacted
        }
        return [
            ("SMF_ENV", mode.rawValue),
            ("SMF_SECRET_KEY", secretKey?.redacted ?? "(not set)"),
            ("SMF_ENCRYPTION_KEY", encryptionKey?.redacted ?? "(not set)"),
            ("DATABASE_URL", databaseText + (databaseIsExplicit ? "" : " (default)")),
            ("SMF_CORS_ORIGINS", list(corsOrigins)),
            ("SMF_TRUSTED_PROXIES", list(trustedProxies)),
            ("SMF_ADMIN_NETWORKS", list(adminNetworks)),
            ("SMF_MAX_BODY_BYTES", String(maxBodyBytes)),
            ("SMF_MAX_JSON_DEPTH", String(maxJSONDepth)),
            ("SMF_LOG_LEVEL", logLevel.rawValue),
            ("SMF_LOG_FORMAT", logFormat.rawValue),
            ("SMF_PUBLIC_URL", publicURL ?? "(not set)"),
            ("SMF_HOSTNAME", hostname),
            ("SMF_PORT", String(port)),
            ("SMF_DATA_DIR", dataDirectory),
            ("SMF_SHUTDOWN_TIMEOUT", String(shutdownTimeoutSeconds)),
            ("SMF_IDLE_TIMEOUT", String(idleTimeoutSeconds)),
            ("SMF_REGISTRATION", registration.rawValue + (registrationSetting == nil ? " (default)" : "")),
            ("SMF_BCRYPT_COST", String(bcryptCost)),
            ("SMF_SESSION_IDLE_MINUTES", String(Int(sessionIdleTimeout / 60))),
            ("SMF_SESSION_ABSOLUTE_HOURS", String(Int(sessionAbsoluteTimeout / 3600))),
            ("SMF_RATE_LIMITS", RateLimitClass.allCases.compactMap { kind in
                rateLimits[kind].map { "\(kind.rawValue)=\($0.limit)/\($0.periodMilliseconds / 1000)s:burst=\($0.burst)" }
            }.joined(separator: ",")),
            ("SMF_RATE_LIMIT_STORE", rateLimitStore.rawValue),
            ("SMF_USAGE_ANOMALY", usageAnomaly.format()),
            ("SMF_INSTANCES", String(instances)),
            ("SMF_ENCRYPTION_KEY_PREVIOUS", encryptionKeyPrevious.isEmpty ? "(not set)" : encryptionKeyPrevious.map(\.redacted).joined(separator: ",")),
            ("SMF_SECRET_KEY_PREVIOUS", secretKeyPrevious.isEmpty ? "(not set)" : secretKeyPrevious.map(\.redacted).joined(separator: ",")),
            ("SMF_OUTBOUND_ALLOWLIST", list(outboundAllowlist)),
            ("SMF_TELEGRAM_API_URL", telegramAPIURL),
            ("SMF_GRAPH_API_URL", graphAPIURL),
            ("SMF_WORKER_CONCURRENCY", String(workerConcurrency)),
            ("SMF_JOB_LEASE_SECONDS", String(jobLeaseSeconds)),
            ("SMF_JOB_MAX_ATTEMPTS", String(jobMaxAttempts)),
            ("SMF_WEBHOOK_MAX_BODY_BYTES", String(webhookMaxBodyBytes)),
            ("SMF_BACKUP_KEY", backupKey?.redacted ?? "(not set)"),
            ("SMF_PG_BIN", pgBinDirectory ?? "(PATH)"),
        ]
    }
}
