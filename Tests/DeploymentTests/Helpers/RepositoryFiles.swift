import Foundation

/// The shipped files under test, read from the checkout this test was
/// compiled from (not from an installed copy).
enum RepositoryFiles {
    /// `Tests/DeploymentTests/Helpers/RepositoryFiles.swift` → the repository root.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: url(relativePath), encoding: .utf8)
    }

    /// Every regular file below `relativeDirectory`, as repository-relative paths.
    static func files(under relativeDirectory: String) -> [String] {
        let base = url(relativeDirectory)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return []
        }
        var found: [String] = []
        for case let file as URL in walker where (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            found.append(relativeDirectory + "/" + file.path.dropFirst(base.path.count + 1))
        }
        return found.sorted()
    }
}
