import Foundation

/// A deliberately misconfigured HTTP server on 127.0.0.1 for the live audit
/// tests (python3, which scripts/test installs): every answer is what the
/// live checks must catch — `Server: nginx/1.2.3`, `X-Powered-By`, CORS
/// reflecting any origin with credentials, no security headers, obsolete
/// X-XSS-Protection, stack traces and SQL in error bodies, public
/// Prometheus metrics, no rate limit, no body cap.
struct MisconfiguredServer: Sendable {
    let port: Int
    let child: ChildProcess
    let scratch: ScratchDirectory

    var url: String { "http://127.0.0.1:\(port)" }

    static var python: String? { TestPrograms.searchPath.map { $0 + "/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) } }

    static func with(_ body: (MisconfiguredServer) async throws -> Void) async throws {
        let python = try TestPrograms.require(python, "python3")
        let scratch = try ScratchDirectory(prefix: "smflow-bad-server")
        let script = scratch.url.appendingPathComponent("server.py")
        try Data(Self.script.utf8).write(to: script)
        let port = try LoopbackPort.free()
        let child = try ChildProcess.start(name: "bad-server", python, [script.path, String(port)], environment: [:],
                                           directory: scratch.url, logIn: scratch.url)
        let server = MisconfiguredServer(port: port, child: child, scratch: scratch)
        do {
            guard await LoopbackPort.waitUntilAccepting([port], timeout: .seconds(15)) else {
                throw ChildProcess.StartFailed(name: "bad-server", output: child.output)
            }
            try await body(server)
        } catch {
            await child.stop()
            scratch.remove()
            throw error
        }
        await child.stop()
        scratch.remove()
    }

    static let script = """
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

# Everything the live audit must catch: versioned Server header, X-Powered-By,
# CORS reflecting any origin with credentials, no security headers, a stack
# trace in error bodies, public Prometheus metrics, no rate limit, no body cap,
# "protected" API paths that answer anyone.
class Handler(BaseHTTPRequestHandler):
    server_version = "nginx/1.2.3"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("X-Powered-By", "Vapor/4.0")
        origin = self.headers.get("Origin")
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
        self.send_header("X-XSS-Protection", "1; mode=block")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def drain(self):
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                break
            length -= len(chunk)

    def do_GET(self):
        if self.path == "/metrics":
            self.reply(200, "# HELP http_requests_total Requests.\\n# TYPE http_requests_total counter\\nhttp_requests_total 1\\n")
        elif self.path in ("/", "/api/v1/"):
            self.reply(200, "ok")
        elif self.path in ("/api/v1/auth/me", "/api/v1/workspaces"):
            self.reply(200, '{"user_id":"anyone"}', "application/json")
        else:
            self.reply(404, "Fatal error: route not found\\n  at /app/Sources/App/routes.swift:42 (Vapor 4.89.0)\\n")

    def do_POST(self):
        self.drain()
        self.reply(500, "Stack trace:\\n#0 0x00005555 in App.login at /app/Sources/App/Login.swift:17\\nSELECT * FROM users WHERE email = '' -- postgres\\n")

    def do_OPTIONS(self):
        self.reply(204, "")

    def do_DELETE(self):
        self.reply(500, "Swift runtime failure: unexpectedly found nil at /app/Sources/App/Login.swift:9")

HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""
}
