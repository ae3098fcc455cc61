import Foundation

/// The shipped nginx configuration, on loopback, in front of a real
/// `smflow serve`. Only what differs per site is filled in: the template's
/// ports, certificate directory, upstream and server name (and, when a test
/// asks, the admin allow-list). Every other file is used exactly as shipped.
struct NginxStack: Sendable {
    static let serverName = "smflow.test"
    static let acmeToken = "test-token-\(UInt32.random(in: 0...UInt32.max))"

    let scratch: ScratchDirectory
    let configFile: URL
    /// nginx's prefix: pid file and temp files, as the tmpfs in the container.
    let prefix: URL
    let ca: ThrowawayCA
    let httpPort: Int
    let httpsPort: Int
    let appAddress: String
    /// What `nginx -t` printed for this configuration.
    private(set) var syntaxCheck = ""

    var httpsBase: String { "https://\(Self.serverName):\(httpsPort)" }
    var httpBase: String { "http://\(Self.serverName):\(httpPort)" }
    var resolveHTTPS: String { "\(Self.serverName):\(httpsPort):127.0.0.1" }
    var resolveHTTP: String { "\(Self.serverName):\(httpPort):127.0.0.1" }

    func get(_ path: String, method: String = "GET", body: String? = nil, headers: [String] = [],
             sourceAddress: String? = nil) async throws -> HTTPReply {
        try await Curl.request(httpsBase + path, method: method, headers: headers, body: body,
                               resolve: resolveHTTPS, caFile: ca.caFile, sourceAddress: sourceAddress)
    }

    /// Builds the stack, runs `body`, and stops both programs and removes
    /// every file however `body` ends.
    static func with(adminAllow: [String]? = nil, _ body: (NginxStack) async throws -> Void) async throws {
        let nginx = try TestPrograms.require(TestPrograms.nginx, "nginx")
        let scratch = try ScratchDirectory(prefix: "smflow-nginx")
        var children: [ChildProcess] = []
        do {
            let ca = try await ThrowawayCA.make(in: try scratch.subdirectory("tls"), serverName: serverName)
            let (app, appAddress) = try await startApp(in: try scratch.subdirectory("app"))
            children.append(app)
            var stack = try Self(scratch: scratch, ca: ca, appAddress: appAddress, adminAllow: adminAllow)

            let check = try await ProcessRunner.run(nginx, stack.nginxArguments(["-t"]), timeout: .seconds(30))
            guard check.status == 0 else { throw NginxFailed(step: "nginx -t", output: check.description) }
            stack.syntaxCheck = check.stderr
            let server = try ChildProcess.start(name: "nginx", nginx, stack.nginxArguments(["-g", "daemon off;"]),
                                                environment: [:], directory: scratch.url, logIn: scratch.url)
            children.append(server)
            guard await LoopbackPort.waitUntilAccepting([stack.httpPort, stack.httpsPort], timeout: .seconds(15)) else {
                throw NginxFailed(step: "start", output: server.output)
            }
            try await body(stack)
        } catch {
            for child in children.reversed() { await child.stop() }
            scratch.remove()
            throw error
        }
        for child in children.reversed() { await child.stop() }
        scratch.remove()
    }

    private init(scratch: ScratchDirectory, ca: ThrowawayCA, appAddress: String, adminAllow: [String]?) throws {
        self.scratch = scratch
        self.ca = ca
        self.appAddress = appAddress
        httpPort = try LoopbackPort.free()
        httpsPort = try LoopbackPort.free()

        prefix = try scratch.subdirectory("prefix")
        let conf = try scratch.subdirectory("conf")
        configFile = conf.appendingPathComponent("nginx.conf")
        let shipped = RepositoryFiles.url("deploy/nginx")
        for name in ["nginx.conf", "ffdhe2048.txt", "snippets"] {
            try FileManager.default.copyItem(at: shipped.appendingPathComponent(name), to: conf.appendingPathComponent(name))
        }
        if let adminAllow {
            let allowList = adminAllow.map { "allow \($0);\n" }.joined()
            let file = conf.appendingPathComponent("snippets/admin-networks.conf")
            try FileManager.default.removeItem(at: file)
            try Data(allowList.utf8).write(to: file)
        }

        let acme = try scratch.subdirectory("acme/.well-known/acme-challenge")
        try Data(Self.acmeToken.utf8).write(to: acme.appendingPathComponent(Self.acmeToken))

        let template = try RepositoryFiles.text("deploy/nginx/templates/smflow.conf.template")
        let site = try NginxTemplate.render(template, values: [
            "SMF_SERVER_NAME": Self.serverName,
            "SMF_HTTP_LISTEN": "127.0.0.1:\(httpPort)",
            "SMF_HTTPS_LISTEN": "127.0.0.1:\(httpsPort)",
            "SMF_TLS_DIR": ca.tlsDirectory.path,
            "SMF_ACME_ROOT": scratch.url.appendingPathComponent("acme").path,
            "SMF_APP_UPSTREAM": appAddress.replacingOccurrences(of: "http://", with: ""),
        ])
        let confD = try scratch.subdirectory("conf/conf.d")
        try Data(site.utf8).write(to: confD.appendingPathComponent("smflow.conf"))
    }

    /// As in the container: prefix (pid, temp files) in a writable directory,
    /// errors to standard error; the configuration file's own directory for includes.
    private func nginxArguments(_ extra: [String]) -> [String] {
        ["-p", prefix.path + "/", "-c", configFile.path, "-e", "stderr"] + extra
    }

    /// smflow in development mode on SQLite: nginx's limits, not the app's,
    /// must be what answers 429 here, and nginx on 127.0.0.1 is the trusted proxy.
    private static func startApp(in directory: URL) async throws -> (ChildProcess, String) {
        try await SmflowBinary.startServe(environment: [
            "SMF_DATA_DIR": directory.appendingPathComponent("data").path,
            "SMF_TRUSTED_PROXIES": "127.0.0.1/32",
            "SMF_RATE_LIMITS": "auth=10000/1m:burst=1000,read=10000/1m:burst=1000,write=10000/1m:burst=1000",
            "SMF_BCRYPT_COST": "10",
        ], directory: directory)
    }

    struct NginxFailed: Error, CustomStringConvertible {
        let step: String
        let output: String
        var description: String { "nginx \(step) failed:\n\(output)" }
    }
}
