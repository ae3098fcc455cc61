import Foundation
import Testing
import Vapor
@testable import SMFServer

/// `FlowListJSON` writes the list page by hand for speed; it must produce
/// the very bytes `JSONEncoder` would (the API's configured encoder).
@Suite struct FlowListJSONTests {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func row(_ name: String, description: String?, deleted: Date? = nil, deployed: Int? = nil) -> FlowListQuery.Row {
        FlowListQuery.Row(id: UUID(), name: name, description: description, status: deleted == nil ? "draft" : "deleted",
                          latest_version: 3, deployed_version: deployed, revision: 12, created_ms: 1_795_949_751_489,
                          created_at: Date(timeIntervalSince1970: 1_795_949_751.489),
                          updated_at: Date(timeIntervalSince1970: 946_684_799.999), deleted_at: deleted)
    }

    @Test func page_matches_json_encoder_byte_for_byte() throws {
        let awkward = ["plain", "quote \" backslash \\ slash / end", "tab\tnew\nline\rcr", "bell \u{07} nul-ish \u{01} \u{1F} del \u{7F}",
                       "form \u{0C} back \u{08}", "émoji 🚀 中文", "", "</script><script>alert(1)</script>", "\u{2028}\u{2029}"]
        var rows: [FlowListQuery.Row] = []
        for (index, text) in awkward.enumerated() {
            rows.append(Self.row(text, description: index % 2 == 0 ? nil : text,
                                 deleted: index % 3 == 0 ? Date(timeIntervalSince1970: 1_700_000_000.75) : nil,
                                 deployed: index % 4 == 0 ? index : nil))
        }
        for next in [nil, "ZjF8MTc5NTk0OTc1MTQ4OXw1OTgy"] as [String?] {
            let written = FlowListJSON.page(rows[...], nextCursor: next)
            let expected = FlowController.FlowPage(items: rows.map { row in
                FlowController.FlowBody(id: row.id, name: row.name, description: row.description,
                                        status: FlowStatus(rawValue: row.status) ?? .draft, latest_version: row.latest_version,
                                        deployed_version: row.deployed_version, created_at: row.created_at,
                                        updated_at: row.updated_at, deleted_at: row.deleted_at,
                                        etag: FlowETag.make(revision: row.revision))
            }, next_cursor: next)
            let encoded = try Self.encoder().encode(expected)
            #expect(String(buffer: written) == String(decoding: encoded, as: UTF8.self))
        }
        #expect(String(buffer: FlowListJSON.page([], nextCursor: nil)) == #"{"items":[],"next_cursor":null}"#)
    }
}
