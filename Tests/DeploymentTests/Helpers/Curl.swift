import Foundation

/// One HTTP exchange as curl saw it.
struct HTTPReply: Sendable, CustomStringConvertible {
    /// 0 when curl got no HTTP answer at all (see `curlExit`).
    let status: Int
    let headers: [(name: String, value: String)]
    let body: String
    let curlExit: Int32

    func values(_ name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    func value(_ name: String) -> String? { values(name).first }

    var description: String {
        "HTTP \(status) (curl exit \(curlExit))\n" + headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
            + "\n\n" + body.prefix(300)
    }
}

/// HTTP through curl rather than an in-process client: it speaks HTTP/2 and
/// TLS against a private CA, resolves the test host name to loopback, and can
/// send from a chosen loopback source address.
enum Curl {
    static func request(
        _ url: String, method: String = "GET", headers: [String] = [], body: String? = nil,
        resolve: String? = nil, caFile: URL? = nil, sourceAddress: String? = nil
    ) async throws -> HTTPReply {
        let curl = try TestPrograms.require(TestPrograms.curl, "curl")
        let scratch = try ScratchDirectory(prefix: "smflow-curl")
        defer { scratch.remove() }
        let headerFile = scratch.url.appendingPathComponent("headers")
        let bodyFile = scratch.url.appendingPathComponent("body")

        var arguments = ["--silent", "--show-error", "--max-time", "10", "--request", method,
                         "--dump-header", headerFile.path, "--output", bodyFile.path,
                         "--write-out", "%{http_code}"]
        for header in headers { arguments += ["--header", header] }
        if let body { arguments += ["--data-binary", body] }
        if let resolve { arguments += ["--resolve", resolve] }
        if let caFile { arguments += ["--cacert", caFile.path] }
        if let sourceAddress { arguments += ["--interface", sourceAddress] }
        arguments.append(url)

        let result = try await ProcessRunner.run(curl, arguments, timeout: .seconds(20))
        let rawHeaders = (try? String(contentsOf: headerFile, encoding: .utf8)) ?? ""
        return HTTPReply(
            status: Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0,
            headers: parseHeaders(rawHeaders),
            body: (try? String(contentsOf: bodyFile, encoding: .utf8)) ?? "",
            curlExit: result.status)
    }

    /// The header lines of the last response in a `--dump-header` file.
    static func parseHeaders(_ raw: String) -> [(name: String, value: String)] {
        let blocks = raw.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
        let last = blocks.last(where: { $0.hasPrefix("HTTP/") }) ?? ""
        return last.split(separator: "\n").dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }
}
