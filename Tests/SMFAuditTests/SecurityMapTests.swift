import Foundation
import Testing
import SMFCore

/// docs/SECURITY.md maps every checklist key to where it is enforced and how
/// it is verified; the audit will report the same keys.
@Suite struct SecurityMapTests {
    @Test func security_doc_maps_every_checklist_key() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: repo.appendingPathComponent("docs/SECURITY.md"), encoding: .utf8)
        for key in Checklist.keys {
            #expect(doc.contains("`\(key)`"), "docs/SECURITY.md does not map \(key)")
        }
    }
}
