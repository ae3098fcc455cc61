import Fluent
import Foundation
import SMFSecurity
import Vapor

/// `GET /api/v1/workspaces/:workspaceID/security-events` (admin+): the
/// workspace's events and those of its members' accounts (sign-ins),
/// newest first, filterable by type and time, with keyset pagination (no
/// duplicates or gaps while new events arrive).
enum SecurityEventController {
    struct EventBody: Content {
        let id: UUID
        let occurred_at: Date
        let type: String
        let outcome: String
        let user_id: UUID?
        let api_key_id: UUID?
        let workspace_id: UUID?
        let ip: String
        let user_agent: String
        let request_id: String
        let details: [String: String]
    }

    struct Page: Content {
        let items: [EventBody]
        let next_cursor: String?
    }

    struct Query {
        var type: String?
        var since: Date?
        var until: Date?
        var limit = 50
        var cursor: (Date, UUID)?

        init(_ request: Request) throws {
            var problems: [SMFError.FieldError] = []
            if let type = try? request.query.get(String.self, at: "type") {
                if SecurityEventType(rawValue: type) == nil {
                    problems.append(.init(pointer: "?type", detail: "Unknown event type."))
                } else {
                    self.type = type
                }
            }
            for (name, keyPath) in [("since", \Query.since), ("until", \Query.until)] {
                guard let raw = try? request.query.get(String.self, at: name) else { continue }
                if let date = ISO8601DateFormatter().date(from: raw) {
                    self[keyPath: keyPath] = date
                } else {
                    problems.append(.init(pointer: "?\(name)", detail: "Use an ISO 8601 time such as 2026-11-29T10:00:00Z."))
                }
            }
            if let raw = try? request.query.get(String.self, at: "limit") {
                if let value = Int(raw), (1...100).contains(value) { limit = value } else {
                    problems.append(.init(pointer: "?limit", detail: "Use a number from 1 to 100."))
                }
            }
            if let raw = try? request.query.get(String.self, at: "cursor") {
                if let cursor = Self.decodeCursor(raw) { self.cursor = cursor } else {
                    problems.append(.init(pointer: "?cursor", detail: "Use the next_cursor of a previous page."))
                }
            }
            if !problems.isEmpty {
                throw SMFError(.badRequest, code: "invalid-query", title: "Bad request",
                               detail: "The query parameters are invalid.", fieldErrors: problems)
            }
        }

        static func encodeCursor(_ date: Date, _ id: UUID) -> String {
            let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
            return Data("\(milliseconds)|\(id.uuidString)".utf8).base64URLEncoded()
        }

        static func decodeCursor(_ raw: String) -> (Date, UUID)? {
            guard raw.utf8.count <= 128 else { return nil }
            guard let data = Data(base64URLEncoded: raw) else { return nil }
            let parts = String(decoding: data, as: UTF8.self).split(separator: "|")
            guard parts.count == 2, let milliseconds = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { return nil }
            return (Date(timeIntervalSince1970: Double(milliseconds) / 1000), id)
        }
    }

    @Sendable static func list(_ request: Request) async throws -> Page {
        let grant = try request.grant()
        let query = try Query(request)
        let memberIDs = try await Membership.query(on: request.db).filter(\.$workspaceID == grant.workspaceID).all().map(\.userID)
        let builder = SecurityEvent.query(on: request.db).group(.or) { group in
            group.filter(\.$workspaceID == grant.workspaceID)
            if !memberIDs.isEmpty {
                group.group(.and) { $0.filter(\.$workspaceID == nil).filter(\.$userID ~~ memberIDs) }
            }
        }
        if let type = query.type { builder.filter(\.$type == type) }
        if let since = query.since { builder.filter(\.$occurredAt >= since) }
        if let until = query.until { builder.filter(\.$occurredAt < until) }
        if let (date, id) = query.cursor {
            // Event times are whole milliseconds (SecurityEventRecorder), but a
            // date read back from SQLite is not bit-identical to the one
            // written: "the same time" is a ±0.5 ms window, never equality.
            let low = date.addingTimeInterval(-0.0005), high = date.addingTimeInterval(0.0005)
            builder.group(.or) { group in
                group.filter(\.$occurredAt < low)
                group.group(.and) { $0.filter(\.$occurredAt >= low).filter(\.$occurredAt < high).filter(\.$id < id) }
            }
        }
        let rows = try await builder.sort(\.$occurredAt, .descending).sort(\.$id, .descending).limit(query.limit + 1).all()
        let page = rows.prefix(query.limit)
        let items = try page.map { event in
            EventBody(id: try event.requireID(), occurred_at: event.occurredAt, type: event.type, outcome: event.outcome,
                      user_id: event.userID, api_key_id: event.apiKeyID, workspace_id: event.workspaceID, ip: event.ip,
                      user_agent: event.userAgent, request_id: event.requestID,
                      details: (try? JSONDecoder().decode([String: String].self, from: Data(event.details.utf8))) ?? [:])
        }
        let next = rows.count > query.limit ? page.last.map { Query.encodeCursor($0.occurredAt, $0.id!) } : nil
        return Page(items: items, next_cursor: next)
    }
}
