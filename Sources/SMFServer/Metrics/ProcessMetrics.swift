import Foundation

/// Process resource metrics read from /proc at scrape time, with the names
/// and meanings of the Prometheus client conventions
/// (`process_resident_memory_bytes`, `process_cpu_seconds_total`,
/// `process_open_fds`, `process_max_fds`, `process_start_time_seconds`).
/// On systems without /proc the lines are omitted, not invented.
enum ProcessMetrics {
    static func exposition() -> String {
        var lines: [String] = []
        func add(_ name: String, _ type: String, _ help: String, _ value: Double?) {
            guard let value else { return }
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            lines.append("\(name) \(format(value))")
        }
        let stat = readStat()
        add("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.", stat?.cpuSeconds)
        add("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentMemoryBytes())
        add("process_open_fds", "gauge", "Number of open file descriptors.", openFileDescriptors())
        add("process_max_fds", "gauge", "Maximum number of open file descriptors.", maxFileDescriptors())
        add("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.", stat?.startTime)
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    private static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private static let clockTicks: Double = Double(sysconf(Int32(_SC_CLK_TCK)))
    private static let pageSize: Double = Double(sysconf(Int32(_SC_PAGESIZE)))

    private static func readStat() -> (cpuSeconds: Double, startTime: Double?)? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state is field 3; utime 14, stime 15, starttime 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let utime = Double(fields[11]), let stime = Double(fields[12]),
              let startTicks = Double(fields[19]), clockTicks > 0 else { return nil }
        var startTime: Double?
        if let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
           let uptimeSeconds = uptime.split(separator: " ").first.flatMap({ Double($0) }) {
            let bootTime = Date().timeIntervalSince1970 - uptimeSeconds
            startTime = (bootTime + startTicks / clockTicks).rounded()
        }
        return ((utime + stime) / clockTicks, startTime)
    }

    private static func residentMemoryBytes() -> Double? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
        return pages * pageSize
    }

    private static func openFileDescriptors() -> Double? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return Double(entries.count)
    }

    private static func maxFileDescriptors() -> Double? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return limit.rlim_cur == rlim_t.max ? nil : Double(limit.rlim_cur)
    }
}
