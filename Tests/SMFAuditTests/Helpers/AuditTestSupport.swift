import Foundation
import Testing
@testable import SMFAudit

/// Paths of the fixture corpus, temporary directories, and a one-call audit.
enum AuditTestSupport {
    struct MissingFixtures: Error {}

    /// The copied `Fixtures` resource directory.
    static func fixture(_ relative: String) throws -> String {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else { throw MissingFixtures() }
        return root.appendingPathComponent(relative).path
    }

    /// The repository root (for deploy/ and the repo audit of this project).
    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// A fresh directory, removed when `body` returns.
    static func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smf-audit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try body(directory)
    }

    static func write(_ text: String, to path: String, mode: Int = 0o600) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    static func audit(_ configure: (inout AuditRequest) throws -> Void) throws -> AuditReport {
        var request = AuditRequest()
        try configure(&request)
        return try SMFAudit.run(request)
    }

    /// Random characters from `alphabet`: the "leaked" secrets of the tests are
    /// made here at run time, so the repository never holds one.
    static func random(_ count: Int, alphabet: String = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") -> String {
        let characters = Array(alphabet)
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in characters[Int(generator.next() % UInt64(characters.count))] })
    }

    /// 32 random bytes as hex, like `openssl rand -hex 32`.
    static func hexKey() -> String { random(64, alphabet: "0123456789abcdef") }

    /// A password that meets the policy: 24 characters with every class.
    static func strongPassword() -> String { "Aa1-" + random(20) }
}

extension AuditReport {
    func status(_ key: String) -> AuditStatus? { results.first { $0.key == key }?.status }
    func result(_ key: String) -> CheckResult? { results.first { $0.key == key } }

    /// All evidence details of a key, joined (for `contains` checks).
    func details(_ key: String) -> String {
        (result(key)?.findings.map(\.evidence.detail) ?? []).joined(separator: "\n")
    }
}

/// Asserts the status of each key, naming the key on failure.
func expectStatuses(_ report: AuditReport, _ expected: [String: AuditStatus], sourceLocation: SourceLocation = #_sourceLocation) {
    for (key, status) in expected.sorted(by: { $0.key < $1.key }) {
        #expect(report.status(key) == status, "\(key): expected \(status.rawValue), got \(report.status(key)?.rawValue ?? "nothing") — \(report.details(key))", sourceLocation: sourceLocation)
    }
}
