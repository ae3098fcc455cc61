/// When usage counts as unusual. Parsed from `SMF_USAGE_ANOMALY`: `off`, or
/// comma-separated `NAME=VALUE` pairs that override the defaults, e.g.
/// `window=60s,rate_factor=10,scan_404=30`. Names are documented in
/// docs/CONFIGURATION.md and `names` below.
public struct UsageAnomalyThresholds: Sendable, Equatable {
    public var enabled = true
    /// Length of one observation window.
    public var windowMilliseconds: Int64 = 60_000
    /// Rate spike: requests in a window above `rateFactor` × the baseline …
    public var rateFactor: Double = 10
    /// … and at least this many requests (small numbers are noise).
    public var rateMinimum = 120
    /// Windows a subject must have been seen before its baseline counts.
    public var warmupWindows = 5
    /// Weight of the newest window in the EWMA baseline (0 < α ≤ 1).
    public var baselineWeight: Double = 0.2
    /// Scanning: this many 404s in one window …
    public var scanNotFound = 30
    /// Authorization probing: this many 403s in one window …
    public var probeForbidden = 20
    /// … each also at least this share of the subject's requests in the window.
    public var errorRatio: Double = 0.5
    /// Credential stuffing: failed sign-ins for this many distinct accounts
    /// (or this many distinct rejected credentials) from one address in one window.
    public var stuffingAccounts = 5
    /// After reporting an anomaly, the same kind for the same subject is not
    /// reported again for this long (no event floods).
    public var cooldownMilliseconds: Int64 = 600_000
    /// Subjects tracked at most; idle ones are evicted first.
    public var maximumSubjects = 100_000

    public init() {}

    public static let names = [
        "window", "rate_factor", "rate_min", "warmup", "baseline_weight", "scan_404", "probe_403",
        "error_ratio", "stuffing_accounts", "cooldown", "max_subjects",
    ]

    /// Parses the variable's value. Problems are sentences naming the entry,
    /// never echoing more than the name.
    public static func parse(_ text: String) -> (thresholds: UsageAnomalyThresholds, problems: [String]) {
        var result = UsageAnomalyThresholds()
        let trimmed = text.trimmingASCIIWhitespace()
        if trimmed.lowercased() == "off" {
            result.enabled = false
            return (result, [])
        }
        var problems: [String] = []
        for (index, entry) in trimmed.split(separator: ",").enumerated() {
            let item = String(entry).trimmingASCIIWhitespace()
            if item.isEmpty { continue }
            let sides = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingASCIIWhitespace() }
            guard sides.count == 2, names.contains(sides[0].lowercased()) else {
                problems.append("entry \(index + 1) is not NAME=VALUE with NAME one of \(names.joined(separator: ", ")) (or the whole value `off`)")
                continue
            }
            let name = sides[0].lowercased()
            if !result.apply(name: name, value: sides[1]) {
                problems.append("\(name) has a value out of range (see docs/CONFIGURATION.md)")
            }
        }
        return (result, problems)
    }

    /// The canonical text form (`config show`); `parse(format())` gives back self.
    public func format() -> String {
        guard enabled else { return "off" }
        func number(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(value)
        }
        return [
            "window=\(windowMilliseconds / 1000)s", "rate_factor=\(number(rateFactor))", "rate_min=\(rateMinimum)",
            "warmup=\(warmupWindows)", "baseline_weight=\(number(baselineWeight))", "scan_404=\(scanNotFound)",
            "probe_403=\(probeForbidden)", "error_ratio=\(number(errorRatio))", "stuffing_accounts=\(stuffingAccounts)",
            "cooldown=\(cooldownMilliseconds / 1000)s", "max_subjects=\(maximumSubjects)",
        ].joined(separator: ",")
    }

    private mutating func apply(name: String, value: String) -> Bool {
        switch name {
        case "window":
            guard let ms = Self.seconds(value, in: 10...3600) else { return false }
            windowMilliseconds = ms
        case "cooldown":
            guard let ms = Self.seconds(value, in: 10...86_400) else { return false }
            cooldownMilliseconds = ms
        case "rate_factor":
            guard let number = Double(value), number.isFinite, (1.5...1000).contains(number) else { return false }
            rateFactor = number
        case "baseline_weight":
            guard let number = Double(value), number.isFinite, number > 0, number <= 1 else { return false }
            baselineWeight = number
        case "error_ratio":
            guard let number = Double(value), number.isFinite, number > 0, number <= 1 else { return false }
            errorRatio = number
        case "rate_min": return Self.integer(value, in: 1...10_000_000).map { rateMinimum = $0 } != nil
        case "warmup": return Self.integer(value, in: 1...1000).map { warmupWindows = $0 } != nil
        case "scan_404": return Self.integer(value, in: 1...1_000_000).map { scanNotFound = $0 } != nil
        case "probe_403": return Self.integer(value, in: 1...1_000_000).map { probeForbidden = $0 } != nil
        case "stuffing_accounts": return Self.integer(value, in: 2...10_000).map { stuffingAccounts = $0 } != nil
        case "max_subjects": return Self.integer(value, in: 1000...10_000_000).map { maximumSubjects = $0 } != nil
        default: return false
        }
        return true
    }

    private static func integer(_ text: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = Int(text), range.contains(value) else { return nil }
        return value
    }

    /// `90s`, `10m`, `1h` or plain seconds, within the range (in seconds).
    private static func seconds(_ text: String, in range: ClosedRange<Int64>) -> Int64? {
        let lowered = text.lowercased()
        var factor: Int64 = 1
        var digits = Substring(lowered)
        switch lowered.last {
        case "s": digits = digits.dropLast()
        case "m": factor = 60; digits = digits.dropLast()
        case "h": factor = 3600; digits = digits.dropLast()
        default: break
        }
        guard let value = Int64(digits), value > 0, value <= 86_400 else { return nil }
        let seconds = value * factor
        return range.contains(seconds) ? seconds * 1000 : nil
    }
}
