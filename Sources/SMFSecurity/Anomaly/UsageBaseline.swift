/// What the detector remembers about one subject: counters for the current
/// window and EWMA baselines of earlier windows. A plain value; the
/// detector keeps one per subject behind a lock. About 200 bytes, so
/// 100,000 subjects cost ~20 MB at most.
struct UsageBaseline: Sendable {
    /// One answer as the detector sees it.
    enum Answer: Sendable {
        case success, unauthorized, forbidden, notFound, other
    }

    var windowStart: Int64
    var lastSeen: Int64
    var requests = 0
    var forbidden = 0
    var notFound = 0
    /// Distinct failed accounts (hashes) this window, kept only up to the threshold.
    var failedAccounts: [UInt64] = []
    /// EWMA of requests per window; nil until the first window closes.
    var rateBaseline: Double?
    /// EWMA of the 403 and 404 shares.
    var forbiddenShare: Double?
    var notFoundShare: Double?
    var closedWindows = 0
    /// When each kind was last reported (cooldown), by `Kind` index.
    var lastReported: [Int64] = Array(repeating: Int64.min, count: UsageAnomaly.Kind.allCases.count)

    init(now: Int64) {
        windowStart = now
        lastSeen = now
    }

    /// Closes the windows that have ended by `now`, folding their counts into
    /// the baselines. Windows with no requests count as zero, so a subject
    /// that goes quiet has its baseline decay (at most `warmup + 20` empty
    /// windows are folded: after that the baseline is as good as zero anyway).
    mutating func roll(to now: Int64, thresholds: UsageAnomalyThresholds) {
        let window = thresholds.windowMilliseconds
        guard now >= windowStart + window else { return }
        let elapsed = (now - windowStart) / window
        let alpha = thresholds.baselineWeight
        fold(requests: requests, alpha: alpha)
        let empty = min(elapsed - 1, Int64(thresholds.warmupWindows + 20))
        if empty > 0 {
            for _ in 0..<empty { fold(requests: 0, alpha: alpha) }
        }
        windowStart += elapsed * window
        requests = 0
        forbidden = 0
        notFound = 0
        failedAccounts.removeAll(keepingCapacity: true)
    }

    private mutating func fold(requests count: Int, alpha: Double) {
        let value = Double(count)
        rateBaseline = rateBaseline.map { alpha * value + (1 - alpha) * $0 } ?? value
        if count > 0 {
            let forbiddenNow = Double(forbidden) / value
            let notFoundNow = Double(notFound) / value
            forbiddenShare = forbiddenShare.map { alpha * forbiddenNow + (1 - alpha) * $0 } ?? forbiddenNow
            notFoundShare = notFoundShare.map { alpha * notFoundNow + (1 - alpha) * $0 } ?? notFoundNow
        }
        closedWindows += 1
    }

    /// Counts one answer and returns the anomalies it completes (each kind at
    /// most once per cooldown).
    mutating func observe(_ answer: Answer, subject: String, now: Int64, thresholds: UsageAnomalyThresholds) -> [UsageAnomaly] {
        roll(to: now, thresholds: thresholds)
        lastSeen = now
        requests += 1
        switch answer {
        case .forbidden: forbidden += 1
        case .notFound: notFound += 1
        case .success, .unauthorized, .other: break
        }
        var found: [UsageAnomaly] = []
        let seconds = Int(thresholds.windowMilliseconds / 1000)
        let total = Double(requests)
        let ratioOK = { (count: Int) in Double(count) >= thresholds.errorRatio * total }

        if closedWindows >= thresholds.warmupWindows, let baseline = rateBaseline, requests >= thresholds.rateMinimum {
            // A baseline under one request per window counts as one, so a
            // quiet subject's first busy minute is judged against "1", not "0".
            let limit = thresholds.rateFactor * max(baseline, 1)
            if Double(requests) > limit {
                report(.rateSpike, subject: subject, observed: requests, threshold: limit, baseline: baseline,
                       seconds: seconds, now: now, thresholds: thresholds, into: &found)
            }
        }
        if answer == .notFound, notFound >= thresholds.scanNotFound, ratioOK(notFound) {
            report(.notFoundScan, subject: subject, observed: notFound, threshold: Double(thresholds.scanNotFound),
                   baseline: notFoundShare, seconds: seconds, now: now, thresholds: thresholds, into: &found)
        }
        if answer == .forbidden, forbidden >= thresholds.probeForbidden, ratioOK(forbidden) {
            report(.forbiddenProbe, subject: subject, observed: forbidden, threshold: Double(thresholds.probeForbidden),
                   baseline: forbiddenShare, seconds: seconds, now: now, thresholds: thresholds, into: &found)
        }
        return found
    }

    /// Notes a failed sign-in for an account (or a rejected credential),
    /// identified by a hash; reports stuffing once enough distinct ones pile up.
    mutating func observeFailedCredential(_ account: UInt64, subject: String, now: Int64, thresholds: UsageAnomalyThresholds) -> [UsageAnomaly] {
        roll(to: now, thresholds: thresholds)
        lastSeen = now
        if failedAccounts.count < thresholds.stuffingAccounts, !failedAccounts.contains(account) {
            failedAccounts.append(account)
        }
        var found: [UsageAnomaly] = []
        if failedAccounts.count >= thresholds.stuffingAccounts {
            report(.credentialStuffing, subject: subject, observed: failedAccounts.count,
                   threshold: Double(thresholds.stuffingAccounts), baseline: nil,
                   seconds: Int(thresholds.windowMilliseconds / 1000), now: now, thresholds: thresholds, into: &found)
        }
        return found
    }

    private mutating func report(
        _ kind: UsageAnomaly.Kind, subject: String, observed: Int, threshold: Double, baseline: Double?,
        seconds: Int, now: Int64, thresholds: UsageAnomalyThresholds, into found: inout [UsageAnomaly]
    ) {
        let slot = UsageAnomaly.Kind.allCases.firstIndex(of: kind) ?? 0
        let last = lastReported[slot]
        guard last == Int64.min || now - last >= thresholds.cooldownMilliseconds else { return }
        lastReported[slot] = now
        found.append(UsageAnomaly(kind: kind, subject: subject, observed: observed, threshold: threshold,
                                  baseline: baseline, windowSeconds: seconds))
    }
}
