/// A Dockerfile as a list of instructions, split into build stages: enough
/// to state the image rules as assertions. Comments and blank lines are
/// dropped and `\` continuations joined, as Docker does.
struct Dockerfile {
    struct Instruction: Equatable {
        let keyword: String
        let arguments: String
    }

    struct Stage {
        let from: String
        let name: String?
        var instructions: [Instruction] = []

        func all(_ keyword: String) -> [String] {
            instructions.filter { $0.keyword == keyword }.map(\.arguments)
        }
    }

    /// ARG lines before the first FROM (their defaults name the base images).
    var globalArguments: [String: String] = [:]
    var stages: [Stage] = []

    init(_ text: String) {
        var logical: [String] = []
        var pending = ""
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") { continue }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            pending += line
            if !pending.trimmingCharacters(in: .whitespaces).isEmpty { logical.append(pending) }
            pending = ""
        }
        for line in logical {
            let parts = line.split(separator: " ", maxSplits: 1)
            let keyword = parts[0].uppercased()
            let arguments = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
            if keyword == "FROM" {
                let words = arguments.split(separator: " ").map(String.init)
                let name = words.count >= 3 && words[1].uppercased() == "AS" ? words[2] : nil
                stages.append(Stage(from: words.first ?? "", name: name))
            } else if stages.isEmpty {
                if keyword == "ARG" {
                    let pair = arguments.split(separator: "=", maxSplits: 1).map(String.init)
                    globalArguments[pair[0]] = pair.count > 1 ? pair[1] : ""
                }
            } else {
                stages[stages.count - 1].instructions.append(Instruction(keyword: keyword, arguments: arguments))
            }
        }
    }

    /// A stage's base image with `${ARG}` replaced by the global default.
    func baseImage(of stage: Stage) -> String {
        var image = stage.from
        for (name, value) in globalArguments { image = image.replacingOccurrences(of: "${\(name)}", with: value) }
        return image
    }
}
