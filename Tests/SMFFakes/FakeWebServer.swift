import Foundation
import Synchronization
import Vapor

/// A plain local web server for the `http.request` node and the guarded
/// fetcher: echo, redirects, a body streamed without a length, a stall.
///
/// - `/echo` (any method): `{"method","path","host","headers":{…},"body"}`.
/// - `/redirect?to=<url>&status=<3xx>`: a redirect to `to`.
/// - `/chain/<n>`: redirects to `/chain/<n-1>`, and `/chain/0` to `/echo`.
/// - `/stream?bytes=<n>`: n bytes of `x`, chunked (no `Content-Length`).
/// - `/stall`: held until `release()`.
public final class FakeWebServer: Sendable {
    /// One request the server received.
    public struct Hit: Sendable, Equatable {
        public var method: String
        public var path: String
        /// The `Host` header as received (shows which name a pinned request used).
        public var host: String?
        public var headers: [String: String]
    }

    public let server: FakeHTTPServer
    let gateRef: StallGate
    /// Every request received, in order.
    public let hits: CallLog<Hit>

    public var baseURL: String { server.baseURL }
    public var port: Int { server.port }

    public static func start(port: Int = 0, logger: Logger? = nil) async throws -> FakeWebServer {
        let hits = CallLog<Hit>()
        let gate = StallGate()
        let server = try await FakeHTTPServer.start(port: port, logger: logger) { app in
            @Sendable func record(_ req: Request) {
                var headers: [String: String] = [:]
                for (name, value) in req.headers { headers[name.lowercased()] = value }
                hits.append(Hit(method: req.method.rawValue, path: req.url.path, host: req.headers.first(name: .host),
                                headers: headers))
            }
            let methods: [HTTPMethod] = [.GET, .POST, .PUT, .PATCH, .DELETE, .HEAD]
            for method in methods { app.on(method, "echo", body: .collect(maxSize: "1mb")) { req in
                record(req)
                var headers: [String: String] = [:]
                for (name, value) in req.headers { headers[name.lowercased()] = value }
                return FakeWire.json(.ok, ["method": req.method.rawValue, "path": req.url.path,
                                           "host": req.headers.first(name: .host) ?? "", "headers": headers,
                                           "body": FakeWire.bodyString(req)])
            } }
            for method in methods { app.on(method, "redirect", body: .collect(maxSize: "1mb")) { req in
                record(req)
                let target = (try? req.query.get(String.self, at: "to")) ?? "/echo"
                let status = (try? req.query.get(Int.self, at: "status")) ?? 302
                return Response(status: HTTPResponseStatus(statusCode: status), headers: ["Location": target])
            } }
            for method in methods { app.on(method, "chain", ":n", body: .collect(maxSize: "1mb")) { req in
                record(req)
                let n = req.parameters.get("n", as: Int.self) ?? 0
                let next = n <= 0 ? "/echo" : "/chain/\(n - 1)"
                return Response(status: .found, headers: ["Location": next])
            } }
            app.get("stream") { req in
                record(req)
                let total = (try? req.query.get(Int.self, at: "bytes")) ?? 1024
                let response = Response(status: .ok, headers: ["Content-Type": "application/octet-stream"])
                response.body = .init(asyncStream: { writer in
                    // A client that stops reading (the size cap) closes the
                    // connection: the stream must still be ended with `.error`
                    // (Vapor asserts on an unfinished writer).
                    do {
                        var left = total
                        while left > 0 {
                            let size = min(left, 16 * 1024)
                            try await writer.write(.buffer(ByteBuffer(repeating: UInt8(ascii: "x"), count: size)))
                            left -= size
                        }
                        try await writer.write(.end)
                    } catch {
                        try? await writer.write(.error(error))
                    }
                })
                return response
            }
            app.get("stall") { req async in
                record(req)
                await gate.pass()
                return FakeWire.json(.ok, ["released": true])
            }
        }
        gate.stall()
        return FakeWebServer(server: server, gate: gate, hits: hits)
    }

    private init(server: FakeHTTPServer, gate: StallGate, hits: CallLog<Hit>) {
        self.server = server
        self.gateRef = gate
        self.hits = hits
    }

    public func stop() async {
        gateRef.release()
        await server.stop()
    }

    /// Lets `/stall` requests through.
    public func release() { gateRef.release() }
}
