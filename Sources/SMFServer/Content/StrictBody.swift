import Foundation
import Vapor

/// A request body that is decoded strictly: unknown fields are refused
/// (422), so a client cannot slip in `role`, `workspace_id` or other fields
/// it may not set (mass assignment), and typos do not pass silently.
protocol StrictBody: Decodable {
    /// Every field the body may have.
    static var fields: Set<String> { get }
    /// Field-level checks beyond types: lengths, ranges, formats.
    func problems() -> [SMFError.FieldError]
}

extension StrictBody {
    func problems() -> [SMFError.FieldError] { [] }
}

extension Request {
    func decodeStrict<T: StrictBody>(_ type: T.Type) throws -> T {
        guard headers.contentType?.type == "application", headers.contentType?.subType == "json" else {
            throw SMFError(.unsupportedMediaType, code: "unsupported-media-type", title: "Unsupported Media Type",
                           detail: "Send the body as application/json.")
        }
        guard let buffer = body.data, buffer.readableBytes > 0 else {
            throw SMFError.badRequest("A JSON body is required.", code: "body-required")
        }
        // Depth is bounded by the decoder; this pass only collects the keys.
        let value = try content.decode(T.self)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw SMFError.badRequest("The JSON body must be an object.", code: "invalid-body")
        }
        var problems = Set(object.keys).subtracting(T.fields).sorted().map {
            SMFError.FieldError(pointer: "/" + String($0.prefix(64)), detail: "Unknown field.")
        }
        problems += value.problems()
        if !problems.isEmpty { throw SMFError.validation(problems) }
        return value
    }
}
