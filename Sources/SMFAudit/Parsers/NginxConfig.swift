import Foundation

/// An nginx configuration read from one or more files, as nginx would see
/// it: includes expanded in place (relative to the including file's
/// directory or its parents, where the file exists; globs allowed), and
/// site files that a main `nginx.conf` would pull in through an include of
/// a directory nginx fills at run time (`conf.d/*.conf` from templates)
/// placed inside its `http` block.
public struct NginxConfig: Sendable {
    /// The `http` context's directives (or the top level, for a file that
    /// holds only `server` blocks).
    public let http: [NginxDirective]
    /// Files that were read, in order.
    public let files: [String]

    public var servers: [NginxDirective] { http.named("server") }

    public static func load(_ paths: [String]) throws(AuditInputError) -> NginxConfig {
        var parser = IncludingParser()
        var parsed: [(path: String, directives: [NginxDirective])] = []
        for path in paths {
            parsed.append((path, try parser.parseFile(path, flag: "--nginx")))
        }
        // Files included by another one are not roots of their own.
        let roots = parsed.filter { !parser.includedFiles.contains(standard($0.path)) }
        var http: [NginxDirective] = []
        var siteDirectives: [NginxDirective] = []
        for root in roots {
            if let block = root.directives.named("http").first?.block {
                http += block
            } else {
                siteDirectives += root.directives.filter { $0.name != "events" }
            }
        }
        return NginxConfig(http: http + siteDirectives, files: parsed.map(\.path))
    }

    /// Parses text without touching the file system (tests), includes unresolved.
    public static func parse(_ text: String, file: String = "nginx.conf") throws(AuditInputError) -> NginxConfig {
        var parser = IncludingParser()
        let directives = try parser.parse(text, file: file, directory: nil, depth: 0)
        return NginxConfig(http: directives.named("http").first?.block ?? directives, files: [file])
    }

    static func standard(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
}

/// The recursive-descent parser behind `NginxConfig`.
struct IncludingParser {
    private(set) var includedFiles: Set<String> = []
    private static let maximumDepth = 16

    mutating func parseFile(_ path: String, flag: String) throws(AuditInputError) -> [NginxDirective] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AuditInputError("\(flag) \(path): cannot read the file")
        }
        return try parse(text, file: path, directory: (path as NSString).deletingLastPathComponent, depth: 0)
    }

    mutating func parse(_ text: String, file: String, directory: String?, depth: Int) throws(AuditInputError) -> [NginxDirective] {
        let tokens: [NginxTokenizer.Token]
        do {
            tokens = try NginxTokenizer.tokenize(text)
        } catch {
            throw AuditInputError("\(file):\(error.line): unterminated quoted string")
        }
        var position = 0
        let directives = try block(tokens, &position, file: file, directory: directory, depth: depth, nested: false)
        return directives
    }

    private mutating func block(_ tokens: [NginxTokenizer.Token], _ position: inout Int, file: String,
                                directory: String?, depth: Int, nested: Bool) throws(AuditInputError) -> [NginxDirective] {
        var directives: [NginxDirective] = []
        var words: [(String, Int)] = []
        while position < tokens.count {
            let token = tokens[position]
            position += 1
            switch token {
            case .word(let text, let line):
                words.append((text, line))
            case .semicolon(let line):
                guard let first = words.first else {
                    throw AuditInputError("\(file):\(line): unexpected ';'")
                }
                let directive = NginxDirective(name: first.0, arguments: words.dropFirst().map(\.0), file: file, line: first.1)
                words = []
                if directive.name == "include" {
                    directives += include(directive, from: directory, depth: depth)
                } else {
                    directives.append(directive)
                }
            case .open(let line):
                guard let first = words.first else {
                    throw AuditInputError("\(file):\(line): '{' without a directive name")
                }
                var directive = NginxDirective(name: first.0, arguments: words.dropFirst().map(\.0), file: file, line: first.1)
                words = []
                directive.block = try block(tokens, &position, file: file, directory: directory, depth: depth, nested: true)
                directives.append(directive)
            case .close(let line):
                guard nested else { throw AuditInputError("\(file):\(line): unexpected '}'") }
                return directives
            }
        }
        if nested { throw AuditInputError("\(file): a block is not closed with '}'") }
        if let (word, line) = words.first { throw AuditInputError("\(file):\(line): '\(word)' is not ended with ';'") }
        return directives
    }

    /// The included files' directives, or the include itself marked
    /// unresolved when no file matches (e.g. `conf.d/*.conf`, filled at run time).
    private mutating func include(_ directive: NginxDirective, from directory: String?, depth: Int) -> [NginxDirective] {
        var unresolved = directive
        unresolved.isUnresolvedInclude = true
        guard let directory, depth < Self.maximumDepth, !directive.value.isEmpty else { return [unresolved] }
        let matches = Self.resolve(directive.value, from: directory)
        guard !matches.isEmpty else { return [unresolved] }
        var result: [NginxDirective] = []
        for path in matches {
            includedFiles.insert(NginxConfig.standard(path))
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let directives = try? parse(text, file: path, directory: (path as NSString).deletingLastPathComponent, depth: depth + 1)
            else { continue }
            result += directives
        }
        return result.isEmpty ? [unresolved] : result
    }

    /// Candidate directories: the including file's, then up to two parents
    /// (a template in `templates/` includes `snippets/x.conf` relative to the
    /// nginx prefix, which is the parent). Absolute paths are taken as they are.
    static func resolve(_ pattern: String, from directory: String) -> [String] {
        var bases = pattern.hasPrefix("/") ? [""] : [directory]
        if !pattern.hasPrefix("/") {
            var current = directory as NSString
            for _ in 0..<2 {
                current = current.deletingLastPathComponent as NSString
                if current.length > 0 { bases.append(current as String) }
            }
        }
        for base in bases {
            let full = base.isEmpty ? pattern : (base as NSString).appendingPathComponent(pattern)
            let matches = glob(full)
            if !matches.isEmpty { return matches }
        }
        return []
    }

    /// A `*` in the last path component only, as nginx configs use it.
    static func glob(_ path: String) -> [String] {
        let name = (path as NSString).lastPathComponent
        let directory = (path as NSString).deletingLastPathComponent
        guard name.contains("*") else { return FileManager.default.fileExists(atPath: path) ? [path] : [] }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return entries.filter { fnmatch(name, $0, 0) == 0 }.sorted().map { (directory as NSString).appendingPathComponent($0) }
    }
}
