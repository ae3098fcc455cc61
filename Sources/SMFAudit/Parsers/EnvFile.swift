import Foundation

/// A parsed env file (`KEY=VALUE` lines as Docker Compose and shells read
/// them), with the line of every variable and the file's permission bits.
public struct EnvFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let value: String
        public let line: Int
    }

    /// The path as given (used in evidence).
    public let path: String
    public let entries: [Entry]
    /// Permission bits (e.g. 0o644), nil when unknown.
    public let mode: Int?

    /// `.env.example`, `env.sample`, `.env.template`, `.env.dist`: a template
    /// for people to copy, judged by different rules (its placeholders are
    /// expected; a real-looking secret in it is a leak).
    public var isExample: Bool {
        let name = (path as NSString).lastPathComponent.lowercased()
        return ["example", "sample", "template", ".dist", "-dist"].contains { name.contains($0) }
    }

    /// The last value of each variable, as the consumer would see it.
    public var environment: [String: String] {
        var result: [String: String] = [:]
        for entry in entries { result[entry.name] = entry.value }
        return result
    }

    public func line(of name: String) -> Int? {
        entries.last(where: { $0.name == name })?.line
    }

    public init(path: String, contents: String, mode: Int?) {
        self.path = path
        self.mode = mode
        self.entries = Self.parse(contents)
    }

    public static func load(_ path: String) throws(AuditInputError) -> EnvFile {
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AuditInputError("--env \(path): cannot read the file")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue
        return EnvFile(path: path, contents: contents, mode: mode.map { $0 & 0o777 })
    }

    static func parse(_ contents: String) -> [Entry] {
        var entries: [Entry] = []
        for (index, rawLine) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine).trimmingCharacters(in: .whitespaces)[...]
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else { continue }
            let value = unquote(line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces))
            entries.append(Entry(name: name, value: value, line: index + 1))
        }
        return entries
    }

    /// `"a b"` → `a b`, `'x'` → `x`; an unquoted value ends at ` #`.
    static func unquote(_ raw: String) -> String {
        if raw.count >= 2, let first = raw.first, first == "\"" || first == "'" {
            if let close = raw.dropFirst().firstIndex(of: first) {
                let inner = String(raw[raw.index(after: raw.startIndex)..<close])
                return first == "\"" ? inner.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\\"", with: "\"") : inner
            }
        }
        if let comment = raw.range(of: " #") { return String(raw[..<comment.lowerBound]).trimmingCharacters(in: .whitespaces) }
        return raw
    }
}
