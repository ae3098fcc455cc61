import Foundation

/// TLS through `openssl s_client`: which protocol versions the server
/// accepts, and the certificate it presents (chain verification, host name,
/// expiry).
struct TLSProbe: Sendable {
    let openssl: String
    let target: LiveTarget

    init?(target: LiveTarget) {
        guard let openssl = Subprocess.find("openssl") else { return nil }
        self.openssl = openssl
        self.target = target
    }

    enum Handshake: Sendable, Equatable {
        case accepted
        case refused
        /// This openssl cannot offer the version at all, so the answer is unknown.
        case untestable(String)
    }

    /// Whether a handshake with only `version` ("tls1", "tls1_1", "tls1_2", "tls1_3") succeeds.
    /// `@SECLEVEL=0` lets OpenSSL 3 offer TLS 1.0/1.1, which it refuses by default:
    /// without it a server that accepts them would look as if it refused.
    func handshake(_ version: String) -> Handshake {
        var arguments = ["s_client", "-connect", target.connectAddress, "-servername", target.host, "-\(version)"]
        if version == "tls1" || version == "tls1_1" { arguments += ["-cipher", "DEFAULT:@SECLEVEL=0"] }
        guard let output = Subprocess.run(openssl, arguments, timeout: target.timeout) else {
            return .untestable("openssl could not be started")
        }
        let text = output.stdout + output.stderr
        if text.contains("no protocols available") || text.contains("unknown option") {
            return .untestable("this openssl cannot offer \(version)")
        }
        let negotiated = text.range(of: #"(New|Reused), TLSv[0-9.]+, Cipher is [A-Z0-9_-]+"#, options: .regularExpression) != nil
        return output.status == 0 && negotiated ? .accepted : .refused
    }

    struct Certificate: Sendable {
        /// openssl's "Verify return code" line, e.g. "0 (ok)" or "62 (hostname mismatch)".
        let verifyResult: String
        let verified: Bool
        let notAfter: Date?
        let subject: String
    }

    /// The presented certificate, verified against the system store (plus
    /// `--cacert`) and the URL's host name. nil when no handshake succeeded.
    func certificate() -> Certificate? {
        var arguments = ["s_client", "-connect", target.connectAddress, "-servername", target.host,
                         "-verify_hostname", target.host, "-verify_return_error"]
        if let caFile = target.caFile { arguments += ["-CAfile", caFile] }
        // Without -verify_return_error the handshake completes even when verification fails,
        // so the certificate can still be read; run once more that way when it failed.
        let strict = Subprocess.run(openssl, arguments, timeout: target.timeout)
        let lenient = Subprocess.run(openssl, arguments.filter { $0 != "-verify_return_error" }, timeout: target.timeout)
        guard let output = lenient, let pemStart = output.stdout.range(of: "-----BEGIN CERTIFICATE-----"),
              let pemEnd = output.stdout.range(of: "-----END CERTIFICATE-----") else { return nil }
        let pem = String(output.stdout[pemStart.lowerBound..<pemEnd.upperBound]) + "\n"
        let verifyLine = output.stdout.split(separator: "\n").last { $0.contains("Verify return code:") }
            .map { $0.components(separatedBy: "Verify return code:").last?.trimmingCharacters(in: .whitespaces) ?? "" } ?? "unknown"
        let details = Subprocess.run(openssl, ["x509", "-noout", "-enddate", "-subject"], input: pem, timeout: target.timeout)
        var notAfter: Date?
        var subject = ""
        for line in (details?.stdout ?? "").split(separator: "\n") {
            if line.hasPrefix("notAfter=") { notAfter = Self.parseDate(String(line.dropFirst("notAfter=".count))) }
            if line.hasPrefix("subject=") { subject = line.dropFirst("subject=".count).trimmingCharacters(in: .whitespaces) }
        }
        let verified = (strict?.status == 0) && verifyLine.hasPrefix("0 ")
        return Certificate(verifyResult: verifyLine, verified: verified, notAfter: notAfter, subject: subject)
    }

    /// openssl's "Nov 30 10:00:00 2026 GMT" (single-digit days are space-padded).
    static func parseDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "MMM d HH:mm:ss yyyy zzz"
        let normalized = text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        return formatter.date(from: normalized)
    }
}
