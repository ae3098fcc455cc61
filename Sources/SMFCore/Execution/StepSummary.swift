/// The compact text a step record keeps of a node's inputs, outputs or
/// error: redacted, then cut to at most `limit` (4096) UTF-8 bytes at a
/// character boundary, with `marker` at the end when something was cut.
/// Redaction comes first so a cut can never leave half a secret.
public enum StepSummary {
    public static let defaultLimit = 4096
    public static let marker = "…[truncated]"

    /// A JSON value as a redacted, truncated compact JSON text.
    public static func json(_ value: JSONValue, redactor: Redactor, limit: Int = defaultLimit) -> String {
        text(TemplateRenderer.compactJSON(redactor.redact(value)), redactor: redactor, limit: limit)
    }

    /// A text, redacted and truncated.
    public static func text(_ text: String, redactor: Redactor, limit: Int = defaultLimit) -> String {
        truncate(redactor.redact(text), limit: limit)
    }

    /// At most `limit` UTF-8 bytes, including the marker when cut; never
    /// splits a character (grapheme cluster), so the result is valid UTF-8
    /// that renders as the original's prefix.
    public static func truncate(_ text: String, limit: Int = defaultLimit) -> String {
        guard text.utf8.count > limit else { return text }
        let budget = limit - marker.utf8.count
        guard budget > 0 else { return "" }
        var used = 0
        var end = text.startIndex
        for index in text.indices {
            let size = text[index].utf8.count
            if used + size > budget { break }
            used += size
            end = text.index(after: index)
        }
        return String(text[..<end]) + marker
    }
}
