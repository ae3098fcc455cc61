import FluentKit
import Foundation
import SMFSecurity
import SQLKit

/// Reads the security events and the persisted request statistics of one
/// period and aggregates them into a `SecurityReport`. Only the suspicious
/// events are loaded row by row (failed or throttled sign-ins, rate-limit
/// violations, anomalies, denials, CSRF rejections; at most `rowCap`);
/// everything else is counted by the database.
public struct SecurityReportBuilder: Sendable {
    public var since: Date
    public var until: Date
    public var top: Int
    public var rowCap: Int

    public init(since: Date, until: Date, top: Int = 10, rowCap: Int = 200_000) {
        self.since = since
        self.until = until
        self.top = top
        self.rowCap = rowCap
    }

    struct NotSQL: Error {}

    public func build(on database: any Database) async throws -> SecurityReport {
        guard let sql = database as? any SQLDatabase else { throw NotSQL() }
        var notes: [String] = []
        var days = Self.days(from: since, to: until)
        let dayIndex = Dictionary(uniqueKeysWithValues: days.enumerated().map { ($1.day, $0) })

        // Every event by type and outcome.
        let grouped = try await sql.select()
            .column("type").column("outcome")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from(SecurityEvent.schema)
            .where("occurred_at", .greaterThanOrEqual, since).where("occurred_at", .lessThan, until)
            .groupBy("type").groupBy("outcome")
            .all()
        var eventsByType: [SecurityReport.TypeCount] = []
        for row in grouped {
            eventsByType.append(.init(type: try row.decode(column: "type", as: String.self),
                                      outcome: try row.decode(column: "outcome", as: String.self),
                                      count: try row.decode(column: "n", as: Int.self)))
        }
        eventsByType.sort { ($0.count, $1.type, $1.outcome) > ($1.count, $0.type, $0.outcome) }
        func total(_ type: SecurityEventType, _ outcome: SecurityEventOutcome? = nil) -> Int {
            eventsByType.filter { $0.type == type.rawValue && (outcome == nil || $0.outcome == outcome?.rawValue) }
                .reduce(0) { $0 + $1.count }
        }
        var totals = SecurityReport.Totals()
        totals.securityEvents = eventsByType.reduce(0) { $0 + $1.count }
        totals.loginSuccesses = total(.login, .success)
        totals.loginFailures = total(.login, .failure)
        totals.loginThrottled = total(.login, .throttled)
        totals.rateLimitViolations = total(.rateLimitExceeded)
        totals.anomalies = total(.usageAnomaly)
        totals.authorizationDenials = total(.authorizationDenied)
        totals.csrfRejections = total(.csrfRejected)

        // The suspicious events, row by row.
        let events = try await SecurityEvent.query(on: database)
            .filter(\.$occurredAt >= since).filter(\.$occurredAt < until)
            .group(.or) { either in
                either.group(.and) { $0.filter(\.$type == SecurityEventType.login.rawValue).filter(\.$outcome != SecurityEventOutcome.success.rawValue) }
                either.filter(\.$type ~~ [SecurityEventType.rateLimitExceeded.rawValue, SecurityEventType.usageAnomaly.rawValue,
                                          SecurityEventType.authorizationDenied.rawValue, SecurityEventType.csrfRejected.rawValue])
            }
            .sort(\.$occurredAt).sort(\.$id)
            .limit(rowCap + 1)
            .all()
        let rows = Array(events.prefix(rowCap))
        if events.count > rowCap {
            notes.append("Only the first \(rowCap) suspicious events of the period were read; the per-type totals count all of them.")
        }
        let userIDs = Set(rows.compactMap(\.userID))
        var emails: [UUID: String] = [:]
        if !userIDs.isEmpty {
            for user in try await User.query(on: database).filter(\.$id ~~ Array(userIDs)).all() {
                if let id = user.id { emails[id] = user.email }
            }
        }
        func account(_ id: UUID) -> String { emails[id] ?? "deleted account \(id.uuidString.lowercased())" }

        var failuresByAccount = Tally(), failuresByIP = Tally(), throttledByScope = Tally(), throttledByIP = Tally()
        var unknownAccount = 0
        var failureTimes: [UUID: [Date]] = [:]
        var violators: [String: (policy: String, subject: String, count: Int, last: Date)] = [:]
        var anomalies: [String: SecurityReport.AnomalyGroup] = [:]
        var anomalyLast: [String: Date] = [:]
        var deniedByReason = Tally(), deniedByCaller = Tally(), deniedByAction = Tally()
        for event in rows {
            let details = Self.details(event.details)
            let day = dayIndex[Self.day(event.occurredAt)]
            switch (event.type, event.outcome) {
            case (SecurityEventType.login.rawValue, SecurityEventOutcome.failure.rawValue):
                if let user = event.userID {
                    failuresByAccount.add(account(user), event.occurredAt)
                    failureTimes[user, default: []].append(event.occurredAt)
                } else {
                    unknownAccount += 1
                }
                failuresByIP.add(event.ip, event.occurredAt)
                if let day { days[day].loginFailures += 1 }
            case (SecurityEventType.login.rawValue, SecurityEventOutcome.throttled.rawValue):
                throttledByScope.add(details["scope"] ?? "unspecified", event.occurredAt)
                throttledByIP.add(event.ip, event.occurredAt)
                if let day { days[day].loginThrottled += 1 }
            case (SecurityEventType.rateLimitExceeded.rawValue, _):
                let policy = details["policy"] ?? "unknown"
                let key = details["key"] ?? ""
                // `cred:` keys are token hashes: shown only as where they came from.
                let subject = key.hasPrefix("ip:") ? key : "credential from \(event.ip)"
                let slot = policy + "\n" + subject
                var entry = violators[slot] ?? (policy, subject, 0, event.occurredAt)
                entry.count += 1
                entry.last = max(entry.last, event.occurredAt)
                violators[slot] = entry
                if let day { days[day].rateLimitViolations += 1 }
            case (SecurityEventType.usageAnomaly.rawValue, _):
                let kind = details["kind"] ?? "unknown"
                let subject = details["subject"] ?? event.ip
                let slot = kind + "\n" + subject
                var group = anomalies[slot] ?? .init(kind: kind, subject: subject, count: 0, maxObserved: 0, lastAt: nil)
                group.count += 1
                group.maxObserved = max(group.maxObserved, Int(details["observed"] ?? "") ?? 0)
                anomalies[slot] = group
                anomalyLast[slot] = max(anomalyLast[slot] ?? event.occurredAt, event.occurredAt)
                if let day { days[day].anomalies += 1 }
            case (SecurityEventType.authorizationDenied.rawValue, _):
                deniedByReason.add(details["reason"] ?? "unspecified", event.occurredAt)
                deniedByAction.add(details["action"] ?? "unspecified", event.occurredAt)
                if let user = event.userID {
                    deniedByCaller.add("account " + account(user), event.occurredAt)
                } else if let key = event.apiKeyID {
                    deniedByCaller.add("api key " + key.uuidString.lowercased(), event.occurredAt)
                } else {
                    deniedByCaller.add("unknown caller from \(event.ip)", event.occurredAt)
                }
                if let day { days[day].authorizationDenials += 1 }
            default:
                break
            }
        }

        // Accounts whose failures reached the per-account throttle limit.
        var throttledAccounts = Tally()
        let policy = LoginThrottlePolicy.account
        for (user, times) in failureTimes {
            var windowStart: Date?
            var inWindow = 0
            for time in times.sorted() {
                if let start = windowStart, time.timeIntervalSince(start) < policy.window {
                    inWindow += 1
                } else {
                    windowStart = time
                    inWindow = 1
                }
                if inWindow == policy.threshold { throttledAccounts.add(account(user), time) }
            }
        }

        let violatorList = violators.values
            .sorted { ($0.count, $1.policy, $1.subject) > ($1.count, $0.policy, $0.subject) }
            .prefix(top)
            .map { SecurityReport.RateLimitViolator(policy: $0.policy, subject: $0.subject, events: $0.count, lastAt: Self.iso($0.last)) }
        let anomalyList = anomalies.map { slot, group in
            var group = group
            group.lastAt = anomalyLast[slot].map(Self.iso)
            return group
        }
        .sorted { ($0.count, $0.maxObserved, $1.kind, $1.subject) > ($1.count, $1.maxObserved, $0.kind, $0.subject) }
        .prefix(top)

        // Request statistics.
        var http = SecurityReport.HTTPFigures(requests: 0, clientErrors: 0, serverErrors: 0, serverErrorRate: 0, p95Ms: nil,
                                              slowestRoutes: [], serverErrorRoutes: [])
        var resources: [SecurityReport.ResourceDay] = []
        do {
            let routes = try await routeFigures(sql)
            http.requests = routes.reduce(0) { $0 + $1.figures.requests }
            http.clientErrors = routes.reduce(0) { $0 + $1.figures.clientErrors }
            http.serverErrors = routes.reduce(0) { $0 + $1.figures.serverErrors }
            http.serverErrorRate = http.requests > 0 ? Self.round(Double(http.serverErrors) / Double(http.requests), 6) : 0
            var all = Array(repeating: Int64(0), count: RequestStatsHistogram.bucketCount)
            for route in routes { for index in all.indices { all[index] += route.histogram[index] } }
            let maximum = routes.map(\.figures.maxMs).max() ?? 0
            http.p95Ms = RequestStatsHistogram.quantile(0.95, counts: all, maxMilliseconds: maximum).map { Self.round($0, 1) }
            http.slowestRoutes = Array(routes.map(\.figures)
                .sorted { ($0.p95Ms, $0.requests, $1.route, $1.method) > ($1.p95Ms, $1.requests, $0.route, $0.method) }.prefix(top))
            http.serverErrorRoutes = Array(routes.map(\.figures).filter { $0.serverErrors > 0 }
                .sorted { ($0.serverErrors, $1.route, $1.method) > ($1.serverErrors, $0.route, $0.method) }.prefix(top))
            for (day, requests, serverErrors) in try await dailyRequests(sql) {
                if let index = dayIndex[day] {
                    days[index].requests += requests
                    days[index].serverErrors += serverErrors
                }
            }
            resources = try await resourceDays(sql)
            if http.requests == 0 {
                notes.append("No request statistics in this period (they are written by `smflow serve` about once a minute).")
            }
        } catch {
            notes.append("Request statistics could not be read (is migration 009 applied? run `smflow migrate`).")
        }
        totals.requests = http.requests
        totals.clientErrors = http.clientErrors
        totals.serverErrors = http.serverErrors

        return SecurityReport(
            generatedAt: Self.iso(Date()),
            period: .init(since: Self.iso(since), until: Self.iso(until), seconds: Int64(until.timeIntervalSince(since).rounded())),
            totals: totals,
            eventsByType: eventsByType,
            failedLogins: .init(byAccount: failuresByAccount.top(top), unknownAccount: unknownAccount, byIP: failuresByIP.top(top)),
            throttling: .init(byScope: throttledByScope.top(top), byIP: throttledByIP.top(top), accountsThrottled: throttledAccounts.top(top)),
            rateLimitViolators: Array(violatorList),
            anomalies: Array(anomalyList),
            authorizationDenials: .init(byReason: deniedByReason.top(top), byCaller: deniedByCaller.top(top), byAction: deniedByAction.top(top)),
            http: http,
            daily: days,
            resources: resources,
            notes: notes)
    }

    // MARK: - request_stats and resource_samples

    private var sinceMilliseconds: Int64 { Int64((since.timeIntervalSince1970 * 1000).rounded(.down)) }
    private var untilMilliseconds: Int64 { Int64((until.timeIntervalSince1970 * 1000).rounded(.down)) }

    private func routeFigures(_ sql: any SQLDatabase) async throws -> [(figures: SecurityReport.RouteFigures, histogram: [Int64])] {
        let sums = (["requests", "client_errors", "server_errors", "duration_sum_us"] + RequestStatsHistogram.columns)
            .map { "CAST(SUM(\($0)) AS BIGINT) AS \($0)" }.joined(separator: ", ")
        let rows = try await sql.raw("""
            SELECT method, route, \(unsafeRaw: sums), MAX(duration_max_us) AS duration_max_us FROM request_stats
            WHERE bucket_ms >= \(bind: sinceMilliseconds) AND bucket_ms < \(bind: untilMilliseconds)
            GROUP BY method, route
            """).all()
        return try rows.map { row in
            let requests = try row.decode(column: "requests", as: Int64.self)
            let histogram = try RequestStatsHistogram.columns.map { try row.decode(column: $0, as: Int64.self) }
            let maxMs = Double(try row.decode(column: "duration_max_us", as: Int64.self)) / 1000
            let sumMs = Double(try row.decode(column: "duration_sum_us", as: Int64.self)) / 1000
            let figures = SecurityReport.RouteFigures(
                method: try row.decode(column: "method", as: String.self), route: try row.decode(column: "route", as: String.self),
                requests: requests, clientErrors: try row.decode(column: "client_errors", as: Int64.self),
                serverErrors: try row.decode(column: "server_errors", as: Int64.self),
                meanMs: requests > 0 ? Self.round(sumMs / Double(requests), 1) : 0,
                p95Ms: Self.round(RequestStatsHistogram.quantile(0.95, counts: histogram, maxMilliseconds: maxMs) ?? 0, 1),
                maxMs: Self.round(maxMs, 1))
            return (figures, histogram)
        }
    }

    private func dailyRequests(_ sql: any SQLDatabase) async throws -> [(String, Int64, Int64)] {
        let rows = try await sql.raw("""
            SELECT bucket_ms / 86400000 AS day, CAST(SUM(requests) AS BIGINT) AS requests,
                   CAST(SUM(server_errors) AS BIGINT) AS server_errors FROM request_stats
            WHERE bucket_ms >= \(bind: sinceMilliseconds) AND bucket_ms < \(bind: untilMilliseconds)
            GROUP BY bucket_ms / 86400000
            """).all()
        return try rows.map { row in
            let day = try row.decode(column: "day", as: Int64.self)
            return (Self.day(Date(timeIntervalSince1970: Double(day) * 86_400)),
                    try row.decode(column: "requests", as: Int64.self), try row.decode(column: "server_errors", as: Int64.self))
        }
    }

    private func resourceDays(_ sql: any SQLDatabase) async throws -> [SecurityReport.ResourceDay] {
        let rows = try await sql.raw("""
            SELECT sample_ms, instance, rss_bytes, cpu_seconds, open_fds FROM resource_samples
            WHERE sample_ms >= \(bind: sinceMilliseconds) AND sample_ms < \(bind: untilMilliseconds)
            ORDER BY sample_ms
            """).all()
        struct Day { var samples = 0; var rssSum: Int64 = 0; var rssMax: Int64 = 0; var fdsMax: Int64 = 0
                     var cpu: [String: (first: Double, last: Double)] = [:] }
        var perDay: [String: Day] = [:]
        for row in rows {
            let at = try row.decode(column: "sample_ms", as: Int64.self)
            let day = Self.day(Date(timeIntervalSince1970: Double(at) / 1000))
            let instance = try row.decode(column: "instance", as: String.self)
            let rss = try row.decode(column: "rss_bytes", as: Int64.self)
            let cpu = try row.decode(column: "cpu_seconds", as: Double.self)
            let fds = try row.decode(column: "open_fds", as: Int64.self)
            var entry = perDay[day] ?? Day()
            entry.samples += 1
            entry.rssSum += rss
            entry.rssMax = max(entry.rssMax, rss)
            entry.fdsMax = max(entry.fdsMax, fds)
            let seen = entry.cpu[instance]
            entry.cpu[instance] = (seen?.first ?? cpu, cpu)
            perDay[day] = entry
        }
        return perDay.keys.sorted().map { day in
            let entry = perDay[day] ?? Day()
            let cpu = entry.cpu.values.reduce(0.0) { $0 + max(0, $1.last - $1.first) }
            return .init(day: day, samples: entry.samples, instances: entry.cpu.count, maxRSSBytes: entry.rssMax,
                         meanRSSBytes: entry.samples > 0 ? entry.rssSum / Int64(entry.samples) : 0,
                         cpuSeconds: Self.round(cpu, 2), maxOpenFileDescriptors: entry.fdsMax)
        }
    }

    // MARK: - helpers

    /// Counts by name with the latest time; `top` orders by count, then name.
    struct Tally {
        var counts: [String: (count: Int, last: Date)] = [:]

        mutating func add(_ name: String, _ at: Date) {
            let seen = counts[name]
            counts[name] = ((seen?.count ?? 0) + 1, max(seen?.last ?? at, at))
        }

        func top(_ limit: Int) -> [SecurityReport.NamedCount] {
            counts.sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }
                .prefix(limit)
                .map { SecurityReport.NamedCount(name: $0.key, count: $0.value.count, lastAt: SecurityReportBuilder.iso($0.value.last)) }
        }
    }

    static func details(_ json: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    static func day(_ date: Date) -> String {
        String(iso(date).prefix(10))
    }

    /// Every UTC day the period touches, oldest first.
    static func days(from since: Date, to until: Date) -> [SecurityReport.DailyFigures] {
        var result: [SecurityReport.DailyFigures] = []
        var day = (since.timeIntervalSince1970 / 86_400).rounded(.down)
        let last = (max(since, until.addingTimeInterval(-0.001)).timeIntervalSince1970 / 86_400).rounded(.down)
        while day <= last, result.count <= 400 {
            result.append(.init(day: Self.day(Date(timeIntervalSince1970: day * 86_400))))
            day += 1
        }
        return result
    }

    static func round(_ value: Double, _ digits: Int) -> Double {
        let factor = pow(10, Double(digits))
        return (value * factor).rounded() / factor
    }
}

extension SecurityReportBuilder {
    /// What the CLI runs: opens the database (migrating outside production,
    /// as the other commands do), builds the report for the last `seconds`.
    public static func run(config: AppConfig, seconds: Int64, top: Int) async throws -> SecurityReport {
        let app = try await ServerRunner.makeApplication(config: config)
        do {
            if !config.isProduction { try await app.autoMigrate() }
            let until = app.smf.clock.now()
            let report = try await SecurityReportBuilder(since: until.addingTimeInterval(-Double(seconds)), until: until, top: top)
                .build(on: app.db)
            try await app.asyncShutdown()
            return report
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}
