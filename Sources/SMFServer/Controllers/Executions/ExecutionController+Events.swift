import Fluent
import Foundation
import NIOCore
import Vapor

extension ExecutionController {
    /// How often the stream looks for changes. Polling the row works the
    /// same whether the worker runs in this process or another one.
    static let pollInterval: Duration = .milliseconds(200)
    /// A comment line this often keeps proxies and browsers from timing out.
    static let heartbeatInterval: Duration = .seconds(15)
    /// The longest a stream stays open; clients reconnect with Last-Event-ID.
    static let maxStreamDuration: Duration = .seconds(600)

    /// `GET /executions/:executionID/events`: Server-Sent Events. Sends the
    /// execution (`event: execution`, the same JSON as the read route, `id`
    /// = its revision) whenever it changes, `: heartbeat` comments while it
    /// does not, and `event: end` once it is final. Authorised like the read
    /// route (the middleware ran before this handler). `X-Accel-Buffering:
    /// no` makes nginx pass each event through at once.
    @Sendable static func events(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        let first = try await load(request, grant: grant)
        let id = try first.requireID()
        let lastSeen = request.headers.first(name: "Last-Event-ID").flatMap { Int($0) } ?? -1
        let database = request.db
        let logger = request.logger
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/event-stream; charset=utf-8")
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
        let body = Response.Body(asyncStream: { writer in
            do {
                try await stream(id: id, workspaceID: grant.workspaceID, after: lastSeen, database: database, writer: writer)
                try await writer.write(.end)
            } catch {
                // The client went away, or the database did: end the stream.
                logger.debug("execution event stream ended", metadata: ["execution_id": "\(id)", "reason": "\(type(of: error))"])
                try? await writer.write(.end)
            }
        })
        return Response(status: .ok, headers: headers, body: body)
    }

    private static func stream(
        id: UUID, workspaceID: UUID, after lastSeen: Int, database: any Database, writer: any AsyncBodyStreamWriter
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: maxStreamDuration)
        var sent = lastSeen
        var lastWrite = clock.now
        try await writer.write(.buffer(ByteBuffer(string: "retry: 2000\n\n")))
        while clock.now < deadline {
            guard let execution = try await Execution.query(on: database).filter(\.$id == id)
                .filter(\.$workspaceID == workspaceID).first()
            else { return }
            if execution.revision != sent {
                let json = try JSONEncoder.sse.encode(ExecutionBody(execution))
                var buffer = ByteBuffer(string: "id: \(execution.revision)\nevent: execution\ndata: ")
                buffer.writeBytes(json)
                buffer.writeString("\n\n")
                try await writer.write(.buffer(buffer))
                sent = execution.revision
                lastWrite = clock.now
            }
            if ExecutionStatus(rawValue: execution.status)?.isFinal == true {
                try await writer.write(.buffer(ByteBuffer(string: "event: end\ndata: {}\n\n")))
                return
            }
            if clock.now - lastWrite >= heartbeatInterval {
                try await writer.write(.buffer(ByteBuffer(string: ": heartbeat\n\n")))
                lastWrite = clock.now
            }
            try await Task.sleep(for: pollInterval)
        }
    }
}

extension JSONEncoder {
    /// One line of JSON (SSE `data:` must not contain newlines), ISO dates.
    static var sse: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
