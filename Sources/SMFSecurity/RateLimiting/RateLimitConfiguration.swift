import Foundation

/// The route classes rate limits apply to.
public enum RateLimitClass: String, Sendable, CaseIterable {
    /// Sign-in, registration, password change.
    case auth
    /// Incoming platform webhooks, per endpoint.
    case webhook
    /// Requests that change state.
    case write
    /// Requests that only read.
    case read
}

/// Parses `SMF_RATE_LIMITS`: comma-separated `CLASS=LIMIT/PERIOD[:burst=N]`,
/// e.g. `auth=10/1m:burst=5,read=600/1m:burst=120`. PERIOD is a number with
/// `s`, `m` or `h`. Classes not named keep their defaults.
public enum RateLimitConfiguration {
    public static let defaults: [RateLimitClass: RateLimitPolicy] = [
        .auth: RateLimitPolicy(name: "auth", limit: 10, periodMilliseconds: 60_000, burst: 5),
        .webhook: RateLimitPolicy(name: "webhook", limit: 1200, periodMilliseconds: 60_000, burst: 200),
        .write: RateLimitPolicy(name: "write", limit: 120, periodMilliseconds: 60_000, burst: 30),
        .read: RateLimitPolicy(name: "read", limit: 600, periodMilliseconds: 60_000, burst: 120),
    ]

    public static func parse(_ text: String) -> (policies: [RateLimitClass: RateLimitPolicy], problems: [String]) {
        var policies = defaults
        var problems: [String] = []
        for (index, entry) in text.split(separator: ",").enumerated() {
            let item = entry.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            guard let policy = parseEntry(item) else {
                problems.append("entry \(index + 1) is not CLASS=LIMIT/PERIOD[:burst=N] with CLASS one of \(RateLimitClass.allCases.map(\.rawValue).joined(separator: ", ")), e.g. read=600/1m:burst=120")
                continue
            }
            policies[policy.0] = policy.1
        }
        return (policies, problems)
    }

    static func parseEntry(_ item: String) -> (RateLimitClass, RateLimitPolicy)? {
        let sides = item.split(separator: "=", maxSplits: 1).map(String.init)
        guard sides.count == 2, let kind = RateLimitClass(rawValue: sides[0].lowercased()) else { return nil }
        let parts = sides[1].split(separator: ":").map(String.init)
        guard (1...2).contains(parts.count) else { return nil }
        let rate = parts[0].split(separator: "/").map(String.init)
        guard rate.count == 2, let limit = Int(rate[0]), (1...1_000_000).contains(limit),
              let period = parsePeriod(rate[1]) else { return nil }
        var burst = max(1, limit / 10)
        if parts.count == 2 {
            let option = parts[1].split(separator: "=").map(String.init)
            guard option.count == 2, option[0] == "burst", let value = Int(option[1]), (1...1_000_000).contains(value) else { return nil }
            burst = value
        }
        return (kind, RateLimitPolicy(name: kind.rawValue, limit: limit, periodMilliseconds: period, burst: burst))
    }

    static func parsePeriod(_ text: String) -> Int64? {
        guard let unit = text.last, let value = Int64(text.dropLast()), (1...86_400).contains(value) else { return nil }
        switch unit {
        case "s": return value * 1000
        case "m": return value * 60_000
        case "h": return value * 3_600_000
        default: return nil
        }
    }
}
