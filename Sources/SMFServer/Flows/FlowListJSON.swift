import Foundation
import NIOCore

/// Writes the flow list page exactly as `JSONEncoder` (sorted keys, no
/// escaped slashes, ISO 8601 dates in whole seconds, upper-case UUIDs)
/// would, without its per-value boxing: `JSONEncoder` was a quarter of the
/// list's server CPU (perf, scripts/bench-flow-list). `FlowListJSONTests`
/// holds it byte-for-byte to `JSONEncoder` on awkward strings.
enum FlowListJSON {
    static func page(_ rows: ArraySlice<FlowListQuery.Row>, nextCursor: String?) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(64 + rows.count * 300)
        out.writeStaticString(#"{"items":["#)
        var first = true
        for row in rows {
            if !first { out.writeStaticString(",") }
            first = false
            out.writeStaticString(#"{"created_at":"#)
            writeDate(row.created_at, to: &out)
            out.writeStaticString(#","deleted_at":"#)
            if let deleted = row.deleted_at { writeDate(deleted, to: &out) } else { out.writeStaticString("null") }
            out.writeStaticString(#","deployed_version":"#)
            if let deployed = row.deployed_version { out.writeString(String(deployed)) } else { out.writeStaticString("null") }
            out.writeStaticString(#","description":"#)
            if let description = row.description { writeString(description, to: &out) } else { out.writeStaticString("null") }
            out.writeStaticString(#","etag":"#)
            writeString(FlowETag.make(revision: row.revision), to: &out)
            out.writeStaticString(#","id":""#)
            out.writeString(row.id.uuidString)
            out.writeStaticString(#"","latest_version":"#)
            out.writeString(String(row.latest_version))
            out.writeStaticString(#","name":"#)
            writeString(row.name, to: &out)
            out.writeStaticString(#","status":"#)
            writeString((FlowStatus(rawValue: row.status) ?? .draft).rawValue, to: &out)
            out.writeStaticString(#","updated_at":"#)
            writeDate(row.updated_at, to: &out)
            out.writeStaticString("}")
        }
        out.writeStaticString(#"],"next_cursor":"#)
        if let nextCursor { writeString(nextCursor, to: &out) } else { out.writeStaticString("null") }
        out.writeStaticString("}")
        return out
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A JSON string: `"` and `\` escaped, control characters as `\b \f \n
    /// \r \t` or `\u00XX`, everything else (slashes, non-ASCII) as UTF-8.
    static func writeString(_ text: String, to out: inout ByteBuffer) {
        out.writeStaticString("\"")
        var pending = text.utf8.startIndex
        let utf8 = text.utf8
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == 0x22 || byte == 0x5C || byte < 0x20 {
                out.writeBytes(utf8[pending..<index])
                switch byte {
                case 0x22: out.writeStaticString("\\\"")
                case 0x5C: out.writeStaticString("\\\\")
                case 0x08: out.writeStaticString("\\b")
                case 0x0C: out.writeStaticString("\\f")
                case 0x0A: out.writeStaticString("\\n")
                case 0x0D: out.writeStaticString("\\r")
                case 0x09: out.writeStaticString("\\t")
                default:
                    out.writeStaticString("\\u00")
                    out.writeInteger(hex[Int(byte >> 4)])
                    out.writeInteger(hex[Int(byte & 0x0F)])
                }
                pending = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        out.writeBytes(utf8[pending..<utf8.endIndex])
        out.writeStaticString("\"")
    }

    /// `"2026-11-29T10:00:00Z"`: UTC, whole seconds (fractions dropped, as
    /// `JSONEncoder`'s `.iso8601` does).
    static func writeDate(_ date: Date, to out: inout ByteBuffer) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var digits: [UInt8] = []
        digits.reserveCapacity(22)
        func two(_ value: Int32) {
            digits.append(UInt8(48 + value / 10))
            digits.append(UInt8(48 + value % 10))
        }
        let year = Int(parts.tm_year) + 1900
        digits.append(UInt8(ascii: "\""))
        for divisor in [1000, 100, 10, 1] { digits.append(UInt8(48 + (year / divisor) % 10)) }
        digits.append(UInt8(ascii: "-")); two(parts.tm_mon + 1)
        digits.append(UInt8(ascii: "-")); two(parts.tm_mday)
        digits.append(UInt8(ascii: "T")); two(parts.tm_hour)
        digits.append(UInt8(ascii: ":")); two(parts.tm_min)
        digits.append(UInt8(ascii: ":")); two(parts.tm_sec)
        digits.append(UInt8(ascii: "Z")); digits.append(UInt8(ascii: "\""))
        out.writeBytes(digits)
    }
}
