import Foundation
import Testing
import SMFCore

@Suite struct ChecklistTests {
    @Test func keys_are_unique_and_well_formed() {
        let keys = Checklist.keys
        #expect(Set(keys).count == keys.count)
        #expect(keys.count == 46)
        for key in keys {
            #expect(key.range(of: #"^[a-z]+\.[a-z0-9-]+$"#, options: .regularExpression) != nil, "\(key)")
        }
    }

    /// The catalog must equal the shared checklist.yaml, key for key, when
    /// that file is beside the checkout (it is for developers and CI).
    @Test func catalog_matches_the_shared_checklist() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let shared = repo.deletingLastPathComponent().appendingPathComponent("shared/checklist.yaml")
        guard let text = try? String(contentsOf: shared, encoding: .utf8) else {
            // No shared/ beside this checkout: the catalog is the only copy.
            return
        }
        let keys = text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), line.hasSuffix(":") else { return nil }
            return String(line.dropFirst(2).dropLast())
        }
        #expect(keys == Checklist.keys)
    }
}
