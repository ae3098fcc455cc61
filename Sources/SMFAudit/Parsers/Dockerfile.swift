import Foundation

/// A parsed Dockerfile: instructions with their first line, grouped into
/// build stages by `FROM`.
public struct Dockerfile: Sendable {
    public struct Instruction: Sendable, Equatable {
        /// Upper-cased keyword: FROM, RUN, USER …
        public let keyword: String
        /// Everything after the keyword, continuation lines joined with spaces.
        public let arguments: String
        public let line: Int
    }

    public struct Stage: Sendable {
        public let from: Instruction
        /// The image reference (`ubuntu:24.04`, `swift:6.3-noble@sha256:…`).
        public let image: String
        /// `AS name`, lower-cased.
        public let name: String?
        public let instructions: [Instruction]
    }

    public let path: String
    public let instructions: [Instruction]

    public init(path: String, contents: String) {
        self.path = path
        self.instructions = Self.parse(contents)
    }

    public static func load(_ path: String) throws(AuditInputError) -> Dockerfile {
        guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AuditInputError("--dockerfile \(path): cannot read the file")
        }
        return Dockerfile(path: path, contents: contents)
    }

    public var stages: [Stage] {
        var stages: [Stage] = []
        var current: (from: Instruction, body: [Instruction])?
        func close() {
            guard let current else { return }
            let words = current.from.arguments.split(separator: " ").map(String.init).filter { !$0.hasPrefix("--") }
            let image = words.first ?? ""
            let name = words.count >= 3 && words[1].lowercased() == "as" ? words[2].lowercased() : nil
            stages.append(Stage(from: current.from, image: image, name: name, instructions: current.body))
        }
        for instruction in instructions {
            if instruction.keyword == "FROM" {
                close()
                current = (instruction, [])
            } else {
                current?.body.append(instruction)
            }
        }
        close()
        return stages
    }

    /// The stage that becomes the image (the last one).
    public var finalStage: Stage? { stages.last }

    static func parse(_ contents: String) -> [Instruction] {
        var instructions: [Instruction] = []
        var pending: (text: String, line: Int)?
        for (index, rawLine) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = rawLine.trimmingCharacters(in: .whitespaces)
            // Comment lines may sit inside a continued instruction; Docker drops them.
            if trimmed.hasPrefix("#") { continue }
            if trimmed.isEmpty && pending == nil { continue }
            let continues = trimmed.hasSuffix("\\")
            let piece = continues ? String(trimmed.dropLast()).trimmingCharacters(in: .whitespaces) : trimmed
            if var open = pending {
                open.text += " " + piece
                pending = open
            } else {
                pending = (piece, index + 1)
            }
            if !continues, let done = pending {
                let parts = done.text.split(separator: " ", maxSplits: 1)
                if let keyword = parts.first {
                    instructions.append(Instruction(
                        keyword: keyword.uppercased(),
                        arguments: parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : "",
                        line: done.line))
                }
                pending = nil
            }
        }
        return instructions
    }
}
