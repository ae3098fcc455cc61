/// One environment variable the server reads. This catalog is the single list
/// of settings: the loader reports any other `SMF_*` variable as unknown,
/// `config show` prints these in this order, and a test checks that
/// docs/CONFIGURATION.md documents each of them.
public struct ConfigVariable: Sendable {
    public let name: String
    /// The default, as written in the docs.
    public let defaultValue: String
    /// Secrets may also come from `NAME_FILE` and are redacted when shown.
    public let isSecret: Bool
    public let summary: String

    public init(_ name: String, default defaultValue: String, secret: Bool = false, _ summary: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.isSecret = secret
        self.summary = summary
    }
}

extension ConfigVariable {
    public static let all: [ConfigVariable] = [
        .init("SMF_ENV", default: "development", "`development` or `production`; production switches on the guardrails."),
        .init("SMF_SECRET_KEY", default: "(none)", secret: true, "Signing key (sessions, tokens): 32+ random bytes, e.g. `smflow secrets generate`."),
        .init("SMF_ENCRYPTION_KEY", default: "(none)", secret: true, "Key for secrets at rest: 32+ random bytes, different from SMF_SECRET_KEY."),
        .init("DATABASE_URL", default: "sqlite://data/smflow.sqlite", secret: true, "`postgres://USER:PASSWORD@HOST:PORT/DB` or `sqlite://PATH`; production requires PostgreSQL."),
        .init("SMF_CORS_ORIGINS", default: "(empty: no cross-origin access)", "Comma-separated browser origins allowed to call the API, matched exactly."),
        .init("SMF_TRUSTED_PROXIES", default: "(empty)", "Comma-separated CIDRs of reverse proxies whose X-Forwarded-For/-Proto are believed."),
        .init("SMF_ADMIN_NETWORKS", default: "127.0.0.0/8,::1/128", "Comma-separated CIDRs allowed to reach admin endpoints such as /metrics."),
        .init("SMF_MAX_BODY_BYTES", default: "1048576", "Largest request body accepted (bytes); larger bodies get 413."),
        .init("SMF_MAX_JSON_DEPTH", default: "32", "Deepest JSON nesting accepted; deeper documents get 400."),
        .init("SMF_LOG_LEVEL", default: "info", "trace, debug, info, notice, warning, error or critical; production refuses debug and trace."),
        .init("SMF_LOG_FORMAT", default: "json in production, text otherwise", "`json` (one JSON object per line) or `text`."),
        .init("SMF_PUBLIC_URL", default: "(none)", "The https:// URL users and webhooks reach the service at; required in production."),
        .init("SMF_HOSTNAME", default: "127.0.0.1", "Address `serve` binds to (the `--hostname` flag wins)."),
        .init("SMF_PORT", default: "8080", "Port `serve` binds to (the `--port` flag wins)."),
        .init("SMF_DATA_DIR", default: "data", "Directory for the embedded SQLite database."),
        .init("SMF_SHUTDOWN_TIMEOUT", default: "10", "Seconds to finish in-flight requests after SIGTERM before closing anyway."),
        .init("SMF_IDLE_TIMEOUT", default: "60", "Seconds an idle keep-alive connection is kept open."),
        .init("SMF_REGISTRATION", default: "invite in production, open otherwise", "Who may register: `open`, `invite` (an invitation token is needed) or `closed`."),
        .init("SMF_BCRYPT_COST", default: "12", "bcrypt cost for passwords (10 to 16; production refuses less than 12)."),
        .init("SMF_SESSION_IDLE_MINUTES", default: "30", "A session ends after this many minutes without use."),
        .init("SMF_SESSION_ABSOLUTE_HOURS", default: "12", "A session ends this many hours after sign-in, used or not."),
        .init("SMF_RATE_LIMITS", default: "auth=10/1m:burst=5,webhook=1200/1m:burst=200,write=120/1m:burst=30,read=600/1m:burst=120", "Rate limit per route class: `CLASS=LIMIT/PERIOD[:burst=N]`, comma-separated."),
        .init("SMF_RATE_LIMIT_STORE", default: "memory", "`memory` (this process only) or `postgres` (shared by every instance through the database)."),
        .init("SMF_USAGE_ANOMALY", default: "window=60s,rate_factor=10,rate_min=120,warmup=5,baseline_weight=0.2,scan_404=30,probe_403=20,error_ratio=0.5,stuffing_accounts=5,cooldown=600s,max_subjects=100000", "Unusual-usage detection: `off`, or `NAME=VALUE` pairs overriding the defaults (see below)."),
        .init("SMF_INSTANCES", default: "1", "How many app processes serve this deployment; with more than one the rate-limit store must be `postgres`."),
        .init("SMF_ENCRYPTION_KEY_PREVIOUS", default: "(none)", secret: true, "Comma-separated earlier encryption keys, still accepted for reading while `smflow secrets rotate-encryption-key` re-encrypts."),
        .init("SMF_SECRET_KEY_PREVIOUS", default: "(none)", secret: true, "Comma-separated earlier signing keys: tokens hashed under them work only during the grace period `smflow secrets rotate-secret-key` records."),
        .init("SMF_OUTBOUND_ALLOWLIST", default: "(empty)", "Comma-separated host names or CIDRs that outbound calls may reach although they are private addresses."),
        .init("SMF_TELEGRAM_API_URL", default: "https://api.telegram.org", "Base URL of the Telegram Bot API (tests point it at a local fake)."),
        .init("SMF_GRAPH_API_URL", default: "https://graph.facebook.com/v21.0", "Base URL of the Instagram Graph API, version included."),
        .init("SMF_WORKER_CONCURRENCY", default: "16", "Jobs one worker process runs at once (1 to 256)."),
        .init("SMF_JOB_LEASE_SECONDS", default: "60", "Seconds a claimed job stays leased without a heartbeat before another worker may take it (10 to 3600)."),
        .init("SMF_JOB_MAX_ATTEMPTS", default: "5", "Attempts before a failing job is dead-lettered (1 to 20)."),
        .init("SMF_WEBHOOK_MAX_BODY_BYTES", default: "262144", "Largest webhook body accepted (bytes, 1024 to 1048576); larger ones get 413."),
        .init("SMF_BACKUP_KEY", default: "(none)", secret: true, "Key backups are encrypted with (AES-256-GCM): exactly 64 hex characters; needed only by `smflow backup` and `smflow restore`."),
        .init("SMF_PG_BIN", default: "(pg_dump on PATH)", "Directory holding pg_dump, pg_restore, psql, createdb and dropdb for backups of PostgreSQL."),
    ]

    /// Prefix reserved for the test harness (`scripts/test` exports
    /// `SMF_TEST_DATABASE_URL`); never read by the server.
    public static let reservedTestPrefix = "SMF_TEST_"
}
