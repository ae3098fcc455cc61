/// What travels along an edge.
///
/// An edge may connect an output to an input of the same type, and in these
/// cases only (one explicit table, no implicit conversions beyond it):
///
/// | from      | into                              | why                                  |
/// |-----------|-----------------------------------|--------------------------------------|
/// | `message` | `message`, `text`, `json`, `media`| a message carries its text, its JSON form and its attachment |
/// | `json`    | `json`, `text`                    | JSON is rendered as its compact text |
/// | `text`    | `text`                            |                                      |
/// | `media`   | `media`                           |                                      |
public enum PortType: String, Sendable, Codable, CaseIterable {
    case message, text, json, media

    /// Whether an output of this type may feed an input of type `input`.
    public func canFeed(_ input: PortType) -> Bool {
        switch (self, input) {
        case (.message, _): return true
        case (.json, .json), (.json, .text): return true
        case (.text, .text): return true
        case (.media, .media): return true
        default: return false
        }
    }
}
