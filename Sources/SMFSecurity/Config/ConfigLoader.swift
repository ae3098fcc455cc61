import Foundation

/// The outcome of reading the configuration: the config plus everything
/// found wrong with it.
public struct ConfigLoadResult: Sendable {
    public let config: AppConfig
    public let findings: [ConfigFinding]

    public var errors: [ConfigFinding] { findings.filter { $0.severity == .error } }
    public var warnings: [ConfigFinding] { findings.filter { $0.severity == .warning } }
    public var isValid: Bool { errors.isEmpty }
}

/// Reads `SMF_*` variables and `DATABASE_URL` into an `AppConfig`.
///
/// Every problem is collected (never just the first), each naming its
/// variable and the fix but never the value. Malformed values are errors in
/// every mode; the production guardrails are errors when `SMF_ENV=production`
/// (or when the caller asks for them, as `config check --production` does).
public enum ConfigLoader {
    public typealias FileReader = @Sendable (String) throws -> String

    public static let defaultFileReader: FileReader = { path in
        try String(contentsOfFile: path, encoding: .utf8)
    }

    public static func load(
        environment: [String: String],
        readFile: @escaping FileReader = defaultFileReader,
        enforceProductionRules: Bool? = nil
    ) -> ConfigLoadResult {
        var reader = Reader(environment: environment, readFile: readFile)
        var config = AppConfig()

        if let mode = reader.choice("SMF_ENV", AppConfig.Mode.self) { config.mode = mode }
        config.logFormat = config.isProduction ? .json : .text

        config.secretKey = reader.secret("SMF_SECRET_KEY")
        config.encryptionKey = reader.secret("SMF_ENCRYPTION_KEY")

        if let raw = reader.secret("DATABASE_URL") {
            if let location = DatabaseLocation.parse(raw.reveal()) {
                config.database = location
                config.databaseIsExplicit = true
            } else {
                reader.error("DATABASE_URL", "config.invalid",
                             "DATABASE_URL is not a postgres://USER:PASSWORD@HOST:PORT/DB or sqlite://PATH URL")
            }
        }

        var corsProductionProblems: [PolicyProblem] = []
        if let raw = reader.plain("SMF_CORS_ORIGINS") {
            let parsed = CORSOriginPolicy.parse(raw)
            config.corsOrigins = parsed.origins
            for problem in parsed.problems { reader.findings.append(ConfigFinding(ConfigFinding.Severity.error, variable: "SMF_CORS_ORIGINS", problem)) }
            corsProductionProblems = parsed.productionProblems
        }

        if let networks = reader.cidrList("SMF_TRUSTED_PROXIES") { config.trustedProxies = networks }
        if let networks = reader.cidrList("SMF_ADMIN_NETWORKS") { config.adminNetworks = networks }

        if let value = reader.integer("SMF_MAX_BODY_BYTES", in: 1024...(256 << 20)) { config.maxBodyBytes = value }
        if let value = reader.integer("SMF_MAX_JSON_DEPTH", in: 2...512) { config.maxJSONDepth = value }
        if let value = reader.integer("SMF_PORT", in: 1...65535) { config.port = value }
        if let value = reader.integer("SMF_SHUTDOWN_TIMEOUT", in: 1...600) { config.shutdownTimeoutSeconds = value }
        if let value = reader.integer("SMF_IDLE_TIMEOUT", in: 1...3600) { config.idleTimeoutSeconds = value }

        if let mode = reader.choice("SMF_REGISTRATION", AppConfig.RegistrationMode.self) { config.registrationSetting = mode }
        if let value = reader.integer("SMF_BCRYPT_COST", in: 10...16) { config.bcryptCost = value }
        if let value = reader.integer("SMF_SESSION_IDLE_MINUTES", in: 1...1440) { config.sessionIdleTimeout = TimeInterval(value * 60) }
        if let value = reader.integer("SMF_SESSION_ABSOLUTE_HOURS", in: 1...720) { config.sessionAbsoluteTimeout = TimeInterval(value * 3600) }

        if let raw = reader.plain("SMF_RATE_LIMITS") {
            let parsed = RateLimitConfiguration.parse(raw)
            config.rateLimits = parsed.policies
            for problem in parsed.problems { reader.error("SMF_RATE_LIMITS", "config.invalid", "SMF_RATE_LIMITS \(problem)") }
        }
        if let kind = reader.choice("SMF_RATE_LIMIT_STORE", AppConfig.RateLimitStoreKind.self) { config.rateLimitStore = kind }
        if let value = reader.integer("SMF_INSTANCES", in: 1...1000) { config.instances = value }
        if let raw = reader.plain("SMF_USAGE_ANOMALY") {
            let parsed = UsageAnomalyThresholds.parse(raw)
            config.usageAnomaly = parsed.thresholds
            for problem in parsed.problems { reader.error("SMF_USAGE_ANOMALY", "config.invalid", "SMF_USAGE_ANOMALY \(problem)") }
        }
        if config.instances > 1 && config.rateLimitStore == .memory {
            reader.findings.append(ConfigFinding(
                .warning, variable: "SMF_RATE_LIMIT_STORE", rule: "ratelimit.memory-multi-instance",
                message: "SMF_INSTANCES is \(config.instances) but SMF_RATE_LIMIT_STORE is memory: each instance limits on its own, so clients get \(config.instances)× the limit; set SMF_RATE_LIMIT_STORE=postgres"))
        }

        if let level = reader.choice("SMF_LOG_LEVEL", AppConfig.LogLevel.self) { config.logLevel = level }
        if let format = reader.choice("SMF_LOG_FORMAT", AppConfig.LogFormat.self) { config.logFormat = format }
        if let raw = reader.plain("SMF_PUBLIC_URL") {
            if let components = URLComponents(string: raw), let scheme = components.scheme?.lowercased(),
               ["http", "https"].contains(scheme), components.host?.isEmpty == false {
                config.publicURL = raw
            } else {
                reader.error("SMF_PUBLIC_URL", "config.invalid", "SMF_PUBLIC_URL must be an absolute URL such as https://smflow.example.com")
            }
        }
        if let raw = reader.plain("SMF_HOSTNAME") {
            if raw.utf8.count <= 253, raw.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:".contains($0)) }) {
                config.hostname = raw
            } else {
                reader.error("SMF_HOSTNAME", "config.invalid", "SMF_HOSTNAME must be a host name or an IP address")
            }
        }
        if let raw = reader.plain("SMF_DATA_DIR") { config.dataDirectory = raw }
        if case .sqlite = config.database, !config.databaseIsExplicit {
            config.database = .sqlite(path: (config.dataDirectory as NSString).appendingPathComponent("smflow.sqlite"))
        }

        readIssue8Settings(&reader, into: &config)
        readBackupSettings(&reader, into: &config)

        reader.reportUnknownVariables(strict: config.isProduction)

        if enforceProductionRules ?? config.isProduction {
            reader.findings += ProductionGuardrails.evaluate(config, corsProblems: corsProductionProblems)
        }
        return ConfigLoadResult(config: config, findings: reader.findings)
    }
}

extension ConfigLoader {
    /// The credential vault, outbound calls, workers and webhooks (issue 8).
    /// `allowLoopbackOutbound` is not among them on purpose: see `AppConfig`.
    fileprivate static func readIssue8Settings(_ reader: inout Reader, into config: inout AppConfig) {
        if let raw = reader.secret("SMF_ENCRYPTION_KEY_PREVIOUS") {
            config.encryptionKeyPrevious = raw.reveal().split(separator: ",")
                .map { SecretValue(String($0).trimmingASCIIWhitespace()) }
                .filter { !$0.isEmpty }
            if let current = config.encryptionKey, config.encryptionKeyPrevious.contains(current) {
                reader.error("SMF_ENCRYPTION_KEY_PREVIOUS", "secret-key.previous-is-current",
                             "SMF_ENCRYPTION_KEY_PREVIOUS lists the current SMF_ENCRYPTION_KEY; list only the keys it replaced")
            }
        }
        if let raw = reader.secret("SMF_SECRET_KEY_PREVIOUS") {
            config.secretKeyPrevious = raw.reveal().split(separator: ",")
                .map { SecretValue(String($0).trimmingASCIIWhitespace()) }
                .filter { !$0.isEmpty }
            if let current = config.secretKey, config.secretKeyPrevious.contains(current) {
                reader.error("SMF_SECRET_KEY_PREVIOUS", "secret-key.previous-is-current",
                             "SMF_SECRET_KEY_PREVIOUS lists the current SMF_SECRET_KEY; list only the keys it replaced")
            }
        }
        if let raw = reader.plain("SMF_OUTBOUND_ALLOWLIST") {
            config.outboundAllowlist = []
            for (index, entry) in raw.split(separator: ",").enumerated() {
                let trimmed = String(entry).trimmingASCIIWhitespace()
                if trimmed.isEmpty { continue }
                if let network = CIDR(trimmed) {
                    config.outboundAllowlist.append(network.description)
                } else if OutboundAllowlist.isHostName(trimmed) {
                    config.outboundAllowlist.append(trimmed.lowercased())
                } else {
                    reader.error("SMF_OUTBOUND_ALLOWLIST", "config.invalid",
                                 "SMF_OUTBOUND_ALLOWLIST entry \(index + 1) is neither a host name (api.internal.example) nor an address or CIDR network (10.0.0.0/8) with its host bits zero")
                }
            }
        }
        if let url = reader.baseURL("SMF_TELEGRAM_API_URL") { config.telegramAPIURL = url }
        if let url = reader.baseURL("SMF_GRAPH_API_URL") { config.graphAPIURL = url }
        if let value = reader.integer("SMF_WORKER_CONCURRENCY", in: 1...256) { config.workerConcurrency = value }
        if let value = reader.integer("SMF_JOB_LEASE_SECONDS", in: 10...3600) { config.jobLeaseSeconds = value }
        if let value = reader.integer("SMF_JOB_MAX_ATTEMPTS", in: 1...20) { config.jobMaxAttempts = value }
        if let value = reader.integer("SMF_WEBHOOK_MAX_BODY_BYTES", in: 1024...(1 << 20)) { config.webhookMaxBodyBytes = value }
    }
}

/// What `SMF_OUTBOUND_ALLOWLIST` accepts besides CIDRs.
public enum OutboundAllowlist {
    /// A DNS host name: dot-separated labels of letters, digits and inner
    /// hyphens (1–63 characters each, 253 in all), the last one not all
    /// digits (so a mistyped address such as `10.0.0.300` is not taken for a
    /// name). No wildcards, ports, paths or schemes.
    public static func isHostName(_ text: String) -> Bool {
        let name = text.hasSuffix(".") ? String(text.dropLast()) : text
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.utf8.allSatisfy({ $0 == 45 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
            else { return false }
        }
        return labels.last.map { !$0.allSatisfy(\.isNumber) } ?? false
    }
}

extension ConfigLoader {
    /// `smflow backup` / `restore` (issue 9). The key is checked in every
    /// mode, but only those commands require it.
    fileprivate static func readBackupSettings(_ reader: inout Reader, into config: inout AppConfig) {
        if let key = reader.secret("SMF_BACKUP_KEY") {
            let text = key.reveal()
            if text.utf8.count == 64, text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }) {
                config.backupKey = key
                // One key, one purpose: whoever holds the server's keys must not also read the backups.
                if key == config.secretKey || key == config.encryptionKey {
                    reader.error("SMF_BACKUP_KEY", "secret-key.reused", "SMF_BACKUP_KEY equals SMF_SECRET_KEY or SMF_ENCRYPTION_KEY; generate a key of its own")
                }
            } else {
                reader.error("SMF_BACKUP_KEY", "config.invalid", "SMF_BACKUP_KEY must be exactly 64 hexadecimal characters (32 bytes), e.g. from `smflow secrets generate`")
            }
        }
        if let directory = reader.plain("SMF_PG_BIN") { config.pgBinDirectory = directory }
    }
}

/// Reads single variables and records what is wrong with them.
private struct Reader {
    let environment: [String: String]
    let readFile: ConfigLoader.FileReader
    var findings: [ConfigFinding] = []

    init(environment: [String: String], readFile: @escaping ConfigLoader.FileReader) {
        self.environment = environment
        self.readFile = readFile
    }

    mutating func error(_ variable: String, _ rule: String, _ message: String) {
        findings.append(ConfigFinding(.error, variable: variable, rule: rule, message: message))
    }

    /// A non-secret value; empty counts as unset.
    func plain(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingASCIIWhitespace(), !value.isEmpty else { return nil }
        return value
    }

    /// A secret from `NAME` or from the file named by `NAME_FILE` (Docker
    /// secrets). Setting both is an error: which one wins would be a guess.
    mutating func secret(_ name: String) -> SecretValue? {
        let direct = environment[name].flatMap { $0.isEmpty ? nil : $0 }
        let filePath = plain(name + "_FILE")
        switch (direct, filePath) {
        case (.some, .some):
            error(name, "config.ambiguous", "\(name) and \(name)_FILE are both set; keep only one")
            return nil
        case (.some(let value), nil):
            return SecretValue(value.trimmingASCIIWhitespace())
        case (nil, .some(let path)):
            do {
                let contents = try readFile(path).trimmingASCIIWhitespace()
                guard !contents.isEmpty else {
                    error(name, "config.empty-file", "\(name)_FILE names an empty file")
                    return nil
                }
                return SecretValue(contents)
            } catch {
                // The path is configuration, not a secret, but the underlying
                // error text is not ours to pass on.
                self.error(name, "config.unreadable-file", "\(name)_FILE names a file that cannot be read")
                return nil
            }
        case (nil, nil):
            return nil
        }
    }

    /// One of an enum's values, case-insensitive; anything else is an error
    /// that lists the accepted values.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) -> T? where T.RawValue == String {
        guard let raw = plain(name) else { return nil }
        if let value = T(rawValue: raw.lowercased()) { return value }
        error(name, "config.invalid", "\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        return nil
    }

    mutating func integer(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard let raw = plain(name) else { return nil }
        guard let value = Int(raw), range.contains(value) else {
            error(name, "config.invalid", "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    /// The base URL of an outside API: absolute `http(s)://host[:port][/path]`
    /// without credentials, query or fragment, at most 2048 bytes; returned
    /// without a trailing slash. (Production requires https: guardrails.)
    mutating func baseURL(_ name: String) -> String? {
        guard let raw = plain(name) else { return nil }
        guard raw.utf8.count <= 2048, let components = URLComponents(string: raw),
              let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
              components.host?.isEmpty == false, components.user == nil, components.password == nil,
              components.query == nil, components.fragment == nil
        else {
            error(name, "config.invalid", "\(name) must be an absolute https:// URL without credentials, query or fragment, e.g. https://api.example.com/v1")
            return nil
        }
        var url = raw
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    mutating func cidrList(_ name: String) -> [CIDR]? {
        guard let raw = plain(name) else { return nil }
        var networks: [CIDR] = []
        for (index, entry) in raw.split(separator: ",").enumerated() {
            let trimmed = String(entry).trimmingASCIIWhitespace()
            if trimmed.isEmpty { continue }
            guard let network = CIDR(trimmed) else {
                error(name, "config.invalid", "\(name) entry \(index + 1) is not an address or CIDR network (e.g. 10.0.0.0/8, fd00::/8) with its host bits zero")
                continue
            }
            networks.append(network)
        }
        return networks
    }

    /// Any `SMF_*` variable we do not know is probably a typo of one we do —
    /// and a typo must not silently switch a protection off.
    mutating func reportUnknownVariables(strict: Bool) {
        var known = Set(ConfigVariable.all.map(\.name))
        for variable in ConfigVariable.all where variable.isSecret { known.insert(variable.name + "_FILE") }
        let unknown = environment.keys
            .filter { $0.hasPrefix("SMF_") && !$0.hasPrefix(ConfigVariable.reservedTestPrefix) && !known.contains($0) }
            .sorted()
        for name in unknown {
            let hint = Self.closestKnownName(to: name, among: known).map { " (did you mean \($0)?)" } ?? ""
            findings.append(ConfigFinding(
                strict ? .error : .warning, variable: name, rule: "config.unknown-variable",
                message: "\(name) is not a setting smflow knows\(hint); remove it or fix its name"))
        }
    }

    static func closestKnownName(to name: String, among known: Set<String>) -> String? {
        var best: (name: String, distance: Int)?
        for candidate in known.sorted() {
            let distance = editDistance(name, candidate)
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best, best.distance <= 3 else { return nil }
        return best.name
    }

    /// Levenshtein distance, for "did you mean" hints on short names.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let left = Array(a)
        let right = Array(b)
        if left.isEmpty { return right.count }
        if right.isEmpty { return left.count }
        var previous = Array(0...right.count)
        for i in 1...left.count {
            var current = [Int](repeating: 0, count: right.count + 1)
            current[0] = i
            for j in 1...right.count {
                let substitution = previous[j - 1] + (left[i - 1] == right[j - 1] ? 0 : 1)
                let deletion = previous[j] + 1
                let insertion = current[j - 1] + 1
                current[j] = Swift.min(substitution, deletion, insertion)
            }
            previous = current
        }
        return previous[right.count]
    }
}
