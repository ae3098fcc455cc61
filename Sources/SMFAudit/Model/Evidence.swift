/// Where a finding comes from: a file and line, or only a detail (an HTTP
/// exchange, a missing input). Never holds a secret value.
public struct Evidence: Sendable, Equatable, Codable {
    public let file: String?
    public let line: Int?
    public let detail: String

    public init(file: String? = nil, line: Int? = nil, detail: String) {
        self.file = file
        self.line = line
        self.detail = detail
    }

    /// `file:line`, `file`, or nil.
    public var location: String? {
        guard let file else { return nil }
        return line.map { "\(file):\($0)" } ?? file
    }
}
