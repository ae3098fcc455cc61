import Foundation

/// One HTTP exchange as curl saw it.
struct HTTPExchange: Sendable {
    let method: String
    let url: String
    /// 0 when no HTTP answer came (see `error`).
    let status: Int
    let headers: [(name: String, value: String)]
    let body: String
    let seconds: Double
    let error: String?

    func values(_ name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    func value(_ name: String) -> String? { values(name).first }

    /// "GET https://host/path → 404" for evidence.
    var summary: String {
        status == 0 ? "\(method) \(url) → no answer (\(error ?? "unknown error"))" : "\(method) \(url) → \(status)"
    }
}

/// HTTP(S) through `curl`: it is on nearly every host, speaks HTTP/2 and
/// TLS, and needs no new package dependency (URLSession is unreliable on
/// Linux). Certificates are not verified here (`--insecure`): the TLS probe
/// judges the certificate, and the other probes should still run when it is bad.
struct HTTPProbe: Sendable {
    let curl: String
    let target: LiveTarget

    init?(target: LiveTarget) {
        guard let curl = Subprocess.find("curl") else { return nil }
        self.curl = curl
        self.target = target
    }

    private var common: [String] {
        var arguments = ["--silent", "--show-error", "--insecure", "--max-time", String(target.timeout),
                         "--max-redirs", "0", "--proto", "=http,https"]
        if let address = target.address { arguments += ["--resolve", "\(target.host):\(target.port):\(address)"] }
        return arguments
    }

    /// One request; the body is sent from a file so that 2 MiB never lands in argv.
    func request(_ path: String, method: String = "GET", headers: [String] = [], body: Data? = nil) -> HTTPExchange {
        let url = target.url(path)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smflow-probe-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let headerFile = directory.appendingPathComponent("headers").path
        let bodyFile = directory.appendingPathComponent("body").path
        var arguments = common + ["--request", method, "--dump-header", headerFile, "--output", bodyFile,
                                  "--write-out", "%{http_code} %{time_total}"]
        for header in headers { arguments += ["--header", header] }
        if let body {
            let input = directory.appendingPathComponent("input")
            FileManager.default.createFile(atPath: input.path, contents: body)
            arguments += ["--data-binary", "@" + input.path]
        }
        arguments.append(url)
        guard let output = Subprocess.run(curl, arguments, timeout: target.timeout + 5) else {
            return HTTPExchange(method: method, url: url, status: 0, headers: [], body: "", seconds: 0, error: "curl could not be started")
        }
        let written = output.stdout.split(separator: " ")
        let status = written.first.flatMap { Int($0) } ?? 0
        let rawHeaders = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        let data = FileManager.default.contents(atPath: bodyFile) ?? Data()
        return HTTPExchange(method: method, url: url, status: status, headers: Self.parseHeaders(rawHeaders),
                            body: String(decoding: data.prefix(256 * 1024), as: UTF8.self),
                            seconds: written.dropFirst().first.flatMap { Double($0) } ?? 0,
                            error: status == 0 ? output.stderr.trimmingCharacters(in: .whitespacesAndNewlines) : nil)
    }

    /// `count` identical requests over one curl process (one connection when
    /// the server keeps it alive); returns the status codes in order.
    func burst(_ path: String, method: String, headers: [String], body: String?, count: Int) -> [Int] {
        var arguments = common + ["--request", method, "--write-out", "%{http_code}\\n"]
        for header in headers { arguments += ["--header", header] }
        if let body { arguments += ["--data-binary", body] }
        for _ in 0..<count { arguments += ["--output", "/dev/null", target.url(path)] }
        guard let output = Subprocess.run(curl, arguments, timeout: target.timeout * 2 + Double(count) * 0.5) else { return [] }
        return output.stdout.split(separator: "\n").compactMap { Int($0) }
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
