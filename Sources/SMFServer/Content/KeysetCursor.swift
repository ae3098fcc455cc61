import Foundation
import SMFSecurity

/// The opaque position of a list page ordered newest first: the last row's
/// creation time (whole milliseconds) and id. Keyset pagination: rows
/// inserted while a client pages are never shown twice and never shift a
/// row out of view. Each list tags its cursors, so one list's cursor is a
/// 400 on another.
struct KeysetCursor: Equatable {
    enum List: String {
        case flows = "f1"
        case credentials = "c1"
        case executions = "e1"
    }

    let list: List
    let createdMilliseconds: Int64
    let id: UUID

    var encoded: String {
        Data("\(list.rawValue)|\(createdMilliseconds)|\(id.uuidString)".utf8).base64URLEncoded()
    }

    init(_ list: List, createdMilliseconds: Int64, id: UUID) {
        self.list = list
        self.createdMilliseconds = createdMilliseconds
        self.id = id
    }

    init?(_ raw: String, list: List) {
        guard let text = Base64URL.decodeText(raw, maxLength: 128) else { return nil }
        let parts = text.split(separator: "|")
        guard parts.count == 3, parts[0] == list.rawValue, let milliseconds = Int64(parts[1]),
              let id = UUID(uuidString: String(parts[2])) else { return nil }
        self.init(list, createdMilliseconds: milliseconds, id: id)
    }
}
