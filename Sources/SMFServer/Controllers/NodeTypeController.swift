import Foundation
import SMFCore
import Vapor

/// `GET /api/v1/node-types`: the node catalog with each type's ports and
/// settings schema (JSON Schema), for editors and API clients. The catalog
/// is fixed at build time, so the body is encoded once.
enum NodeTypeController {
    static let body: ByteBuffer = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(NodeCatalog.standard.encodedForAPI())) ?? Data(#"{"node_types":[]}"#.utf8)
        return ByteBuffer(data: data)
    }()

    @Sendable static func list(_ request: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(buffer: body))
    }
}
