import Foundation
import SMFSecurity

/// The position of a version list page: the last version number shown.
struct FlowVersionCursor: Equatable {
    let number: Int

    var encoded: String { Data("v1|\(number)".utf8).base64URLEncoded() }

    init(number: Int) { self.number = number }

    init?(_ raw: String) {
        guard let text = Base64URL.decodeText(raw, maxLength: 64) else { return nil }
        let parts = text.split(separator: "|")
        guard parts.count == 2, parts[0] == "v1", let number = Int(parts[1]), number > 0 else { return nil }
        self.init(number: number)
    }
}

enum Base64URL {
    static func decodeText(_ raw: String, maxLength: Int) -> String? {
        guard !raw.isEmpty, raw.utf8.count <= maxLength,
              raw.utf8.allSatisfy({ $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
        else { return nil }
        guard let data = Data(base64URLEncoded: raw) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}
