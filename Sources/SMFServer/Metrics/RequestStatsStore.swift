import FluentKit
import Foundation
import SQLKit

/// The SQL of `request_stats` and `resource_samples` (migration 009). The
/// same statements run on PostgreSQL and SQLite (≥ 3.24 for `excluded.`).
enum RequestStatsStore {
    struct NotSQL: Error {}

    /// Adds one bucket: a single upsert that sums counts and histogram
    /// columns with the stored row and keeps the larger maximum.
    static func add(_ key: RequestStatsKey, _ counts: RequestStatsCounts, on sql: any SQLDatabase) async throws {
        let columns = ["bucket_ms", "method", "route", "requests", "client_errors", "server_errors",
                       "duration_sum_us", "duration_max_us"] + RequestStatsHistogram.columns
        var values: [any Encodable & Sendable] = [key.bucketMilliseconds, key.method, key.route, counts.requests,
                                                  counts.clientErrors, counts.serverErrors, counts.durationSumMicros,
                                                  counts.durationMaxMicros]
        values += counts.histogram.map { $0 as any Encodable & Sendable }
        let sums = (["requests", "client_errors", "server_errors", "duration_sum_us"] + RequestStatsHistogram.columns)
            .map { "\($0) = request_stats.\($0) + excluded.\($0)" }
        let maximum = "duration_max_us = CASE WHEN excluded.duration_max_us > request_stats.duration_max_us "
            + "THEN excluded.duration_max_us ELSE request_stats.duration_max_us END"
        try await sql.raw("""
            INSERT INTO request_stats (\(unsafeRaw: columns.joined(separator: ", "))) VALUES (\(binds: values))
            ON CONFLICT (bucket_ms, method, route) DO UPDATE SET \(unsafeRaw: (sums + [maximum]).joined(separator: ", "))
            """).run()
    }

    static func add(_ sample: ResourceSample, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO resource_samples (sample_ms, instance, rss_bytes, cpu_seconds, open_fds)
            VALUES (\(bind: sample.milliseconds), \(bind: sample.instance), \(bind: sample.residentBytes), \(bind: sample.cpuSeconds), \(bind: sample.openFileDescriptors))
            ON CONFLICT (sample_ms, instance) DO UPDATE SET rss_bytes = excluded.rss_bytes,
                cpu_seconds = excluded.cpu_seconds, open_fds = excluded.open_fds
            """).run()
    }

    /// Drops rows older than `before` (epoch milliseconds) from both tables.
    static func prune(before: Int64, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM request_stats WHERE bucket_ms < \(bind: before)").run()
        try await sql.raw("DELETE FROM resource_samples WHERE sample_ms < \(bind: before)").run()
    }
}

/// What a process uses, read from /proc through `ProcessMetrics` (the same
/// figures `/metrics` exports). Nil where /proc is missing.
struct ResourceSample: Sendable, Equatable {
    let milliseconds: Int64
    let instance: String
    let residentBytes: Int64
    let cpuSeconds: Double
    let openFileDescriptors: Int64

    static func current(instance: String, milliseconds: Int64) -> ResourceSample? {
        var values: [String: Double] = [:]
        for line in ProcessMetrics.exposition().split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        guard let rss = values["process_resident_memory_bytes"], let cpu = values["process_cpu_seconds_total"],
              let fds = values["process_open_fds"] else { return nil }
        return ResourceSample(milliseconds: milliseconds, instance: instance, residentBytes: Int64(rss), cpuSeconds: cpu,
                              openFileDescriptors: Int64(fds))
    }

    /// `hostname/pid`: tells processes apart, says nothing secret.
    static let thisInstance: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
        return String(host.prefix(64)) + "/" + String(getpid())
    }()
}
