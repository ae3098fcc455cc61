import Foundation

/// The weekly security review (`smflow security-report`, checklist key
/// `tasks.weekly-review`, issue 9): what the security events and the
/// persisted request statistics say about one period. This is the JSON
/// schema (`smflow.security-report/v1`, snake_case keys, documented in
/// docs/OPERATIONS.md); the text and HTML renderers read the same value.
///
/// Holds account e-mail addresses, client IPs, route patterns and ids —
/// never a token, token hash, session id, password or rate-limit key
/// derived from a credential.
public struct SecurityReport: Codable, Sendable, Equatable {
    public static let schemaID = "smflow.security-report/v1"

    public var schema = SecurityReport.schemaID
    public var generatedAt: String
    public var period: Period
    public var totals: Totals
    /// Every security event of the period by type and outcome.
    public var eventsByType: [TypeCount]
    public var failedLogins: FailedLogins
    public var throttling: Throttling
    public var rateLimitViolators: [RateLimitViolator]
    public var anomalies: [AnomalyGroup]
    public var authorizationDenials: AuthorizationDenials
    public var http: HTTPFigures
    public var daily: [DailyFigures]
    public var resources: [ResourceDay]
    /// Gaps in the data (tables missing, row cap reached, nothing recorded).
    public var notes: [String]

    public struct Period: Codable, Sendable, Equatable {
        public var since: String
        public var until: String
        public var seconds: Int64
    }

    public struct Totals: Codable, Sendable, Equatable {
        public var securityEvents = 0
        public var loginSuccesses = 0
        public var loginFailures = 0
        public var loginThrottled = 0
        public var rateLimitViolations = 0
        public var anomalies = 0
        public var authorizationDenials = 0
        public var csrfRejections = 0
        public var requests: Int64 = 0
        public var clientErrors: Int64 = 0
        public var serverErrors: Int64 = 0
    }

    public struct TypeCount: Codable, Sendable, Equatable {
        public var type: String
        public var outcome: String
        public var count: Int
    }

    public struct NamedCount: Codable, Sendable, Equatable {
        public var name: String
        public var count: Int
        public var lastAt: String?
    }

    public struct FailedLogins: Codable, Sendable, Equatable {
        /// Known accounts by e-mail address, most failures first (top N).
        public var byAccount: [NamedCount]
        /// Failures naming no existing account (the attempted name is not stored).
        public var unknownAccount: Int
        public var byIP: [NamedCount]
    }

    public struct Throttling: Codable, Sendable, Equatable {
        /// Sign-in attempts refused by the throttle, by scope (`account`, `ip`, `password-change`).
        public var byScope: [NamedCount]
        public var byIP: [NamedCount]
        /// Known accounts whose failures reached the per-account limit
        /// (`LoginThrottlePolicy.account`: 5 in 15 min) at least once: each
        /// was blocked. `count` is how many times the limit was reached.
        public var accountsThrottled: [NamedCount]
    }

    public struct RateLimitViolator: Codable, Sendable, Equatable {
        public var policy: String
        /// `ip:<address>`, or `credential from <address>` when the bucket was
        /// a session or API key (its key is a token hash and is not shown).
        public var subject: String
        /// `ratelimit.exceeded` events: at most one per key, policy and minute per process.
        public var events: Int
        public var lastAt: String?
    }

    public struct AnomalyGroup: Codable, Sendable, Equatable {
        public var kind: String
        public var subject: String
        public var count: Int
        public var maxObserved: Int
        public var lastAt: String?
    }

    public struct AuthorizationDenials: Codable, Sendable, Equatable {
        public var byReason: [NamedCount]
        /// `account <e-mail>` or `api key <id>`.
        public var byCaller: [NamedCount]
        public var byAction: [NamedCount]
    }

    public struct RouteFigures: Codable, Sendable, Equatable {
        public var method: String
        public var route: String
        public var requests: Int64
        public var clientErrors: Int64
        public var serverErrors: Int64
        public var meanMs: Double
        public var p95Ms: Double
        public var maxMs: Double
    }

    public struct HTTPFigures: Codable, Sendable, Equatable {
        public var requests: Int64
        public var clientErrors: Int64
        public var serverErrors: Int64
        /// `server_errors / requests` (0 without requests).
        public var serverErrorRate: Double
        /// Over all routes, from the summed histograms (nil without requests).
        public var p95Ms: Double?
        /// By p95, slowest first (top N).
        public var slowestRoutes: [RouteFigures]
        /// By 5xx count, routes with at least one (top N).
        public var serverErrorRoutes: [RouteFigures]
    }

    public struct DailyFigures: Codable, Sendable, Equatable {
        /// UTC day, `YYYY-MM-DD`.
        public var day: String
        public var requests: Int64 = 0
        public var serverErrors: Int64 = 0
        public var loginFailures = 0
        public var loginThrottled = 0
        public var rateLimitViolations = 0
        public var anomalies = 0
        public var authorizationDenials = 0
    }

    public struct ResourceDay: Codable, Sendable, Equatable {
        public var day: String
        public var samples: Int
        public var instances: Int
        public var maxRSSBytes: Int64
        public var meanRSSBytes: Int64
        /// CPU seconds used that day, summed over instances (from the
        /// per-instance counter's rise between its first and last sample).
        public var cpuSeconds: Double
        public var maxOpenFileDescriptors: Int64
    }
}

/// Problems with the command line of `smflow security-report`.
public enum SecurityReportInputError: Error, CustomStringConvertible, Equatable {
    case invalidSince(String)
    case invalidTop(Int)

    public var description: String {
        switch self {
        case .invalidSince(let text):
            let shown = SecurityReportText.clean(String(text.prefix(40)))
            return "--since must be a duration such as 7d, 24h, 90m or 2w, from 1m to 366d (got \"\(shown)\")"
        case .invalidTop(let value):
            return "--top must be from 1 to 1000 (got \(value))"
        }
    }
}

public enum SecurityReportPeriod {
    /// The longest period a report covers.
    public static let maximumSeconds: Int64 = 366 * 86_400

    /// `90m`, `24h`, `7d`, `2w` → seconds (1 minute to 366 days).
    public static func parseSince(_ text: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = trimmed.last, trimmed.count >= 2, trimmed.count <= 8,
              trimmed.dropLast().allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int64(trimmed.dropLast()), value > 0 else {
            throw SecurityReportInputError.invalidSince(text)
        }
        let factor: Int64
        switch unit {
        case "m": factor = 60
        case "h": factor = 3_600
        case "d": factor = 86_400
        case "w": factor = 7 * 86_400
        default: throw SecurityReportInputError.invalidSince(text)
        }
        let seconds = value * factor
        guard seconds <= maximumSeconds else { throw SecurityReportInputError.invalidSince(text) }
        return seconds
    }

    public static func validateTop(_ top: Int) throws {
        guard (1...1000).contains(top) else { throw SecurityReportInputError.invalidTop(top) }
    }
}
