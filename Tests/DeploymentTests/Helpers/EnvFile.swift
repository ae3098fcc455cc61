import Foundation

/// A `.env` file as Docker Compose reads it: `NAME=value` lines, `#` comments.
struct EnvFile {
    let values: [String: String]

    init(_ text: String) throws {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let equals = trimmed.firstIndex(of: "=") else { throw Malformed(line: String(line)) }
            values[String(trimmed[..<equals])] = String(trimmed[trimmed.index(after: equals)...])
        }
        self.values = values
    }

    struct Malformed: Error, CustomStringConvertible {
        let line: String
        var description: String { "not NAME=value: \(line)" }
    }
}
