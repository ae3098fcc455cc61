/// Splits nginx configuration text into words, `{`, `}` and `;`, keeping the
/// line of each token. Handles quotes, backslash escapes, `#` comments and
/// `${VAR}` (envsubst templates and nginx variables), whose braces are part
/// of the word, not blocks.
struct NginxTokenizer {
    enum Token: Equatable {
        case word(String, line: Int)
        case open(line: Int)
        case close(line: Int)
        case semicolon(line: Int)
    }

    struct UnterminatedQuote: Error { let line: Int }

    static func tokenize(_ text: String) throws(UnterminatedQuote) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(text.unicodeScalars)
        var index = 0
        var line = 1
        var word = ""
        var wordLine = 1

        func flush() {
            if !word.isEmpty { tokens.append(.word(word, line: wordLine)) }
            word = ""
        }

        while index < characters.count {
            let character = characters[index]
            switch character {
            case "\n":
                flush()
                line += 1
            case " ", "\t", "\r":
                flush()
            case "#" where word.isEmpty:
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            case "{":
                flush()
                tokens.append(.open(line: line))
            case "}":
                flush()
                tokens.append(.close(line: line))
            case ";":
                flush()
                tokens.append(.semicolon(line: line))
            case "\"" where word.isEmpty, "'" where word.isEmpty:
                let quote = character
                let start = line
                var value = ""
                index += 1
                while index < characters.count, characters[index] != quote {
                    if characters[index] == "\\", index + 1 < characters.count {
                        index += 1
                    }
                    if characters[index] == "\n" { line += 1 }
                    value.unicodeScalars.append(characters[index])
                    index += 1
                }
                guard index < characters.count else { throw UnterminatedQuote(line: start) }
                tokens.append(.word(value, line: start))
            case "$" where index + 1 < characters.count && characters[index + 1] == "{":
                if word.isEmpty { wordLine = line }
                while index < characters.count {
                    word.unicodeScalars.append(characters[index])
                    if characters[index] == "}" { break }
                    index += 1
                }
            default:
                if word.isEmpty { wordLine = line }
                if character == "\\", index + 1 < characters.count {
                    index += 1
                    word.unicodeScalars.append(characters[index])
                } else {
                    word.unicodeScalars.append(character)
                }
            }
            index += 1
        }
        flush()
        return tokens
    }
}
