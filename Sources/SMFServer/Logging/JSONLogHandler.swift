import Foundation
import Logging
import NIOConcurrencyHelpers

/// Writes each log event as one JSON object on one line (the production
/// format, `SMF_LOG_FORMAT=json`).
///
/// JSON escaping makes the lines injection-safe: a CR/LF or quote that
/// reaches a log value from a request cannot start a forged line.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, write: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write ?? { _ in }
        self.writesToStandardError = write == nil
    }

    /// Production: batched writes to standard error (BufferedLogWriter).
    private let writesToStandardError: Bool

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        write(level: event.level, message: event.message.description, entries: merged.map { ($0.key, $0.value) })
    }

    /// A line with string fields, without building a metadata dictionary
    /// (the access log's path: once per request). Same output as `log`:
    /// the handler's metadata and the fields, keys sorted, fields winning.
    func log(level: Logger.Level, message: String, fields: [(String, String)]) {
        guard level >= logLevel else { return }
        var entries = fields.map { ($0.0, Logger.Metadata.Value.string($0.1)) }
        var own = metadataProvider?.get() ?? [:]
        own.merge(metadata) { provided, _ in provided }
        for (key, value) in own where !fields.contains(where: { $0.0 == key }) { entries.append((key, value)) }
        write(level: level, message: message, entries: entries)
    }

    /// The one line format: fixed fields first, then `entries` sorted by key.
    private func write(level: Logger.Level, message: String, entries: [(String, Logger.Metadata.Value)]) {
        var line = "{\"time\":\"\(Self.timestamp())\",\"level\":\"\(level.rawValue)\",\"logger\":"
        line.reserveCapacity(320)
        Self.appendString(label, to: &line)
        line += ",\"message\":"
        Self.appendString(message, to: &line)
        for (key, value) in entries.sorted(by: { $0.0 < $1.0 }) where !["time", "level", "logger", "message"].contains(key) {
            line += ","
            Self.appendString(key, to: &line)
            line += ":"
            Self.appendValue(value, to: &line)
        }
        line += "}\n"
        emit(line, urgent: level >= .warning)
    }

    private func emit(_ line: String, urgent: Bool) {
        if writesToStandardError {
            BufferedLogWriter.standardError.write(line, urgent: urgent)
        } else {
            write(line)
        }
    }

    /// UTC with milliseconds, e.g. `2026-11-29T06:12:03.482Z`, formatted by
    /// hand: Foundation's ISO 8601 format style cost more than the rest of
    /// the log line (profiled in the foundation benchmark).
    static func timestamp(_ date: Date = Date()) -> String {
        let total = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(total / 1000)
        let milliseconds = Int(total % 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let string):
            appendString(string, to: &line)
        case .stringConvertible(let convertible):
            appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendValue(element, to: &line)
            }
            line += "]"
        case .dictionary(let dictionary):
            line += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendString(key, to: &line)
                line += ":"
                appendValue(dictionary[key]!, to: &line)
            }
            line += "}"
        }
    }

    /// RFC 8259 string escaping: quote, backslash and every control character.
    static func appendString(_ string: String, to line: inout String) {
        line += "\""
        // Fast path: printable ASCII without quote or backslash (routes,
        // numbers, ids, addresses — most values) needs no escaping.
        if string.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c }) {
            line += string
            line += "\""
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case "\u{2028}": line += "\\u2028"
            case "\u{2029}": line += "\\u2029"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    line.unicodeScalars.append(scalar)
                }
            }
        }
        line += "\""
    }
}

