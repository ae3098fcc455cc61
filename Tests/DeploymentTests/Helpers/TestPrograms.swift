import Foundation
import Testing

/// The external programs the live deployment tests run, and whether they
/// must be there.
///
/// `scripts/test` installs nginx, openssl and curl, exports their paths and
/// sets `SMF_TEST_REQUIRE_DEPLOY=1`: then a missing program fails the test
/// instead of disabling it. A developer's plain `swift test` without nginx
/// gets the tests disabled, with the reason in the output.
enum TestPrograms {
    static let environment = ProcessInfo.processInfo.environment

    static var deployRequired: Bool { environment["SMF_TEST_REQUIRE_DEPLOY"] == "1" }

    static let searchPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]

    /// `variable` if set (scripts/test's choice), else the first `name` on the usual path.
    static func find(_ name: String, variable: String) -> String? {
        if let chosen = environment[variable], !chosen.isEmpty {
            return FileManager.default.isExecutableFile(atPath: chosen) ? chosen : nil
        }
        return searchPath.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var nginx: String? { find("nginx", variable: "SMF_TEST_NGINX") }
    static var openssl: String? { find("openssl", variable: "SMF_TEST_OPENSSL") }
    static var curl: String? { find("curl", variable: "SMF_TEST_CURL") }

    /// True when the nginx tests can run, or must (then a missing program fails them).
    static var liveNginxTestsEnabled: Bool {
        deployRequired || (nginx != nil && openssl != nil && curl != nil)
    }

    static let nginxDisabledReason: Comment =
        "nginx, openssl or curl not found and SMF_TEST_REQUIRE_DEPLOY is not 1 (scripts/test installs them and sets it)"

    /// The path of a program that must be there now.
    static func require(_ path: String?, _ name: String) throws -> String {
        guard let path else { throw MissingProgram(name: name) }
        return path
    }

    struct MissingProgram: Error, CustomStringConvertible {
        let name: String
        var description: String {
            "\(name) not found; install it (scripts/test does) or set SMF_TEST_\(name.uppercased()) to its path"
        }
    }
}
