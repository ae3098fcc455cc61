import Foundation

/// Enough of `.dockerignore` matching to tell whether env files stay out of
/// the build context: patterns relative to the context root, `**` for any
/// number of directories, `!` re-includes, the last matching line wins.
struct DockerIgnore {
    let patterns: [(pattern: String, negated: Bool)]

    init(contents: String) {
        patterns = contents.split(separator: "\n").compactMap { raw in
            var line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
            let negated = line.hasPrefix("!")
            if negated { line.removeFirst() }
            while line.hasPrefix("/") { line.removeFirst() }
            return (line, negated)
        }
    }

    func ignores(_ path: String) -> Bool {
        var ignored = false
        for (pattern, negated) in patterns where Self.matches(pattern, path) { ignored = !negated }
        return ignored
    }

    static func matches(_ pattern: String, _ path: String) -> Bool {
        if pattern.hasPrefix("**/") {
            let rest = String(pattern.dropFirst(3))
            let components = path.split(separator: "/")
            // `**/` matches zero or more leading directories.
            return (0..<components.count).contains { start in
                matches(rest, components[start...].joined(separator: "/"))
            }
        }
        return fnmatch(pattern, path, FNM_PATHNAME) == 0
            // A directory pattern excludes everything below it.
            || path.hasPrefix(pattern + "/")
    }
}
