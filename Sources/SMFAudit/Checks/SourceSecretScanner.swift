import Foundation

/// Finds hard-coded secrets in source files: known token formats anywhere,
/// and high-entropy literals assigned to secret-looking names. Reports the
/// kind and place, never the value.
enum SourceSecretScanner {
    /// Test suites and fixtures hold fake secrets on purpose (and ours build
    /// "leaked" ones at run time); build output and vendored code are not ours.
    static let skippedDirectories: Set<String> = ["tests", "test", "__tests__", "spec", "specs", "fixtures", "testdata", "__snapshots__", "node_modules", "vendor", ".git", ".build", "packages"]
    static let skippedSuffixes = [".resolved", ".lock", "package-lock.json", "go.sum", ".min.js", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".pdf", ".zip", ".gz", ".sqlite", ".woff", ".woff2"]
    static let maximumFileBytes = 1 << 20

    static let assignment: NSRegularExpression? = try? NSRegularExpression(
        pattern: #"(?i)(secret|token|passw(?:or)?d|api_?key|private_?key|client_secret|access_key)[A-Za-z0-9_]*["']?\s*[:=]{1,2}\s*["']([^"'\s]{16,})["']"#)

    static func shouldScan(_ relativePath: String) -> Bool {
        let components = relativePath.lowercased().split(separator: "/")
        if components.dropLast().contains(where: { skippedDirectories.contains(String($0)) || $0.hasPrefix(".build") }) { return false }
        let lowered = relativePath.lowercased()
        return !skippedSuffixes.contains { lowered.hasSuffix($0) }
    }

    struct Hit: Equatable {
        let line: Int
        let kind: String
    }

    static func scan(_ text: String) -> [Hit] {
        var hits: [Hit] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let string = String(line)
            if let match = SecretPatterns.knownToken(in: string) {
                hits.append(Hit(line: index + 1, kind: match.kind))
                continue
            }
            guard let assignment, string.count < 2000 else { continue }
            let range = NSRange(string.startIndex..., in: string)
            for match in assignment.matches(in: string, range: range) {
                guard let valueRange = Range(match.range(at: 2), in: string) else { continue }
                let value = String(string[valueRange])
                if !SecretPatterns.isPlaceholder(value), SecretPatterns.entropy(value) >= 4.0,
                   value.contains(where: \.isNumber), value.contains(where: \.isLetter), !value.contains("/") || value.count > 40 {
                    hits.append(Hit(line: index + 1, kind: "high-entropy literal assigned to a secret name"))
                }
            }
        }
        return hits
    }
}
