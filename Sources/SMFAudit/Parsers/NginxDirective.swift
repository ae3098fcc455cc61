/// One nginx directive (`name arg …;` or `name arg … { … }`), with the file
/// and line it was written on. Includes are already expanded in `block`.
public struct NginxDirective: Sendable, Equatable {
    public let name: String
    public let arguments: [String]
    public let file: String
    public let line: Int
    /// The children of a block directive (`server { … }`); nil for simple ones.
    public var block: [NginxDirective]?
    /// For an `include` that was expanded: the included file's directives
    /// are spliced into the parent; for one that could not be found, true.
    public var isUnresolvedInclude = false

    public var evidence: Evidence { Evidence(file: file, line: line, detail: "\(name) \(arguments.joined(separator: " "))") }

    /// The first argument, or "".
    public var value: String { arguments.first ?? "" }
}

extension Array where Element == NginxDirective {
    /// Direct children named `name`.
    func named(_ name: String) -> [NginxDirective] { filter { $0.name == name } }

    /// Every directive named `name` at any depth.
    func all(_ name: String) -> [NginxDirective] {
        var found: [NginxDirective] = []
        for directive in self {
            if directive.name == name { found.append(directive) }
            if let block = directive.block { found += block.all(name) }
        }
        return found
    }
}
