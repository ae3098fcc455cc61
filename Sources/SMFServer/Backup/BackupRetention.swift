import Foundation

/// Backup file names: `smflow-<kind>-<YYYYMMDD>T<HHMMSS>Z.smfbak` (UTC), with
/// the manifest beside it as the same name plus `.json`. Retention only ever
/// touches names of exactly this form.
public struct BackupFileName: Sendable, Equatable, Hashable {
    public let name: String
    public let kind: BackupDatabaseKind
    public let date: Date

    public static let suffix = ".smfbak"

    static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        return calendar
    }

    static func make(kind: BackupDatabaseKind, at date: Date) -> String {
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let stamp = String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
        return "smflow-\(kind.rawValue)-\(stamp)\(suffix)"
    }

    /// nil for any name not of our form.
    public init?(_ name: String) {
        guard name.hasPrefix("smflow-"), name.hasSuffix(Self.suffix) else { return nil }
        let middle = name.dropFirst("smflow-".count).dropLast(Self.suffix.count)
        guard let dash = middle.lastIndex(of: "-"), let kind = BackupDatabaseKind(rawValue: String(middle[..<dash])) else { return nil }
        let stamp = Array(middle[middle.index(after: dash)...].utf8)
        // YYYYMMDDTHHMMSSZ
        guard stamp.count == 16, stamp[8] == UInt8(ascii: "T"), stamp[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            let digits = stamp[range]
            guard digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
            return Int(String(decoding: digits, as: UTF8.self))
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
              let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
              let date = Self.utc.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)),
              Self.make(kind: kind, at: date) == name else { return nil }
        self.name = name
        self.kind = kind
        self.date = date
    }
}

/// Keeps the newest backup of each of the newest `keepDaily` days and of
/// each of the newest `keepWeekly` ISO weeks (UTC) that have backups, and
/// deletes every other file matching `BackupFileName` (with its manifest).
public enum BackupRetention {
    public struct Plan: Sendable, Equatable {
        public var keep: [BackupFileName]
        public var delete: [BackupFileName]
    }

    public static func plan(_ files: [BackupFileName], keepDaily: Int, keepWeekly: Int) -> Plan {
        let newestFirst = files.sorted { $0.date != $1.date ? $0.date > $1.date : $0.name > $1.name }
        var calendar = BackupFileName.utc
        calendar.firstWeekday = 2
        calendar.minimumDaysInFirstWeek = 4
        var kept = Set<String>()
        func pick(_ limit: Int, _ period: (Date) -> [Int]) {
            var seen = Set<[Int]>()
            for file in newestFirst where seen.count < limit {
                let bucket = period(file.date)
                if seen.insert(bucket).inserted { kept.insert(file.name) }
            }
        }
        pick(max(0, keepDaily)) { calendar.dateComponents([.year, .month, .day], from: $0).orderedValues([.year, .month, .day]) }
        pick(max(0, keepWeekly)) { calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: $0).orderedValues([.yearForWeekOfYear, .weekOfYear]) }
        return Plan(keep: newestFirst.filter { kept.contains($0.name) }, delete: newestFirst.filter { !kept.contains($0.name) })
    }

    /// Applies the plan in `directory`. Only our names are ever considered;
    /// other files (and our `.partial` files in progress) are left alone.
    @discardableResult
    public static func apply(in directory: String, keepDaily: Int, keepWeekly: Int) throws -> Plan {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        let plan = plan(names.compactMap(BackupFileName.init), keepDaily: keepDaily, keepWeekly: keepWeekly)
        for file in plan.delete {
            let path = (directory as NSString).appendingPathComponent(file.name)
            try FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: path + ".json")
        }
        return plan
    }
}

private extension DateComponents {
    func orderedValues(_ components: [Calendar.Component]) -> [Int] {
        components.map { value(for: $0) ?? 0 }
    }
}
