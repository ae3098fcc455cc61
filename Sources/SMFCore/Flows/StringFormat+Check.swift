/// The validator's side of `StringFormat`: hand-written matchers equal to
/// each format's `jsonSchemaPattern`, plus the checks no pattern can say.
extension StringFormat {
    /// Why `text` breaks this format, as (code, detail), or nil.
    func problem(_ text: String) -> (code: String, detail: String)? {
        typealias Code = FlowProblem.Code
        switch self {
        case .plain:
            return nil
        case .template:
            return TemplateSyntax.problem(in: text).map { (Code.templateInvalid, $0) }
        case .regex:
            switch RegexGuard.check(text) {
            case nil: return nil
            case .invalid(let why): return (Code.regexInvalid, "the regex \(why)")
            case .tooComplex(let why): return (Code.regexTooComplex, "the regex \(why)")
            }
        case .httpURL:
            return HTTPRules.urlProblem(text).map { (Code.urlInvalid, "the URL \($0)") }
        case .headerName:
            return HTTPRules.headerNameProblem(text)
        case .headerValue:
            if text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
                return (Code.settingPatternMismatch, "a header value may not contain CR, LF or NUL")
            }
            return TemplateSyntax.problem(in: text).map { (Code.templateInvalid, $0) }
        case .portName, .fieldPath, .modelName, .languageCode, .numericID:
            return matches(Array(text.utf8)) ? nil : (Code.settingPatternMismatch, "does not match \(jsonSchemaPattern ?? "")")
        }
    }

    /// The `jsonSchemaPattern` rule, by hand.
    private func matches(_ bytes: [UInt8]) -> Bool {
        switch self {
        case .portName:
            guard let first = bytes.first, ASCII.isLower(first), bytes.count <= 32 else { return false }
            return bytes.allSatisfy { ASCII.isLower($0) || ASCII.isDigit($0) || $0 == UInt8(ascii: "_") }
        case .fieldPath:
            let segments = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            guard let root = segments.first, ["message", "text", "json"].contains(String(decoding: root, as: UTF8.self)),
                segments.count <= 9
            else { return false }
            return segments.dropFirst().allSatisfy { segment in
                (1...64).contains(segment.count)
                    && segment.allSatisfy { ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "_") }
            }
        case .modelName:
            let extra = Set("._:/@-".utf8)
            guard let first = bytes.first, ASCII.isAlphanumeric(first), bytes.count <= 128 else { return false }
            return bytes.allSatisfy { ASCII.isAlphanumeric($0) || extra.contains($0) }
        case .languageCode:
            let parts = bytes.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
            guard let primary = parts.first, (2...3).contains(primary.count), primary.allSatisfy(ASCII.isLower),
                parts.count <= 2
            else { return false }
            return parts.dropFirst().allSatisfy { (2...8).contains($0.count) && $0.allSatisfy(ASCII.isAlphanumeric) }
        case .numericID:
            return (1...32).contains(bytes.count) && bytes.allSatisfy(ASCII.isDigit)
        case .plain, .template, .regex, .httpURL, .headerName, .headerValue:
            return true
        }
    }
}
