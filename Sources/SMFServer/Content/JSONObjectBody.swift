import Foundation
import SMFCore
import Vapor

/// A JSON object body read with SMFCore's strict parser instead of
/// `JSONDecoder`: about ten times faster on flow documents (6 ms → 0.6 ms for
/// an 18 KB, 50-node flow; benchmarks/RESULTS.md), which matters because
/// flow bodies may be 256 KiB. The parser also refuses repeated keys, so a
/// body cannot say one thing to a reader that keeps the first value and
/// another to one that keeps the last.
///
/// Strict like `StrictBody`: unknown fields, missing required ones and
/// wrong types are collected and thrown together (422).
struct JSONObjectBody {
    private let members: [String: JSONValue]
    private(set) var problems: [SMFError.FieldError] = []

    /// Room for a flow document (depth ≤ 32, `FlowLimits`) inside the body,
    /// so deeper documents get the validator's `nesting-too-deep` with a
    /// pointer; the bound keeps the parser's recursion shallow.
    static let maxDepth = 64

    init(_ request: Request, fields: Set<String>) throws {
        guard request.headers.contentType?.type == "application", request.headers.contentType?.subType == "json" else {
            throw SMFError(.unsupportedMediaType, code: "unsupported-media-type", title: "Unsupported Media Type",
                           detail: "Send the body as application/json.")
        }
        guard let buffer = request.body.data, buffer.readableBytes > 0 else {
            throw SMFError.badRequest("A JSON body is required.", code: "body-required")
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: Data(buffer.readableBytesView), maxDepth: Self.maxDepth)
        } catch {
            // The offset only: the reason text could quote the input.
            throw SMFError.badRequest("The JSON body is malformed near byte \(error.offset).", code: "invalid-body")
        }
        guard case .object(let members) = value else {
            throw SMFError.badRequest("The JSON body must be an object.", code: "invalid-body")
        }
        self.members = members
        problems = Set(members.keys).subtracting(fields).sorted().map {
            SMFError.FieldError(pointer: "/" + JSONPointerEscape.escape(String($0.prefix(64))), detail: "Unknown field.")
        }
    }

    /// Throws every problem collected so far, adding `more`.
    func finish(_ more: [SMFError.FieldError] = []) throws {
        let all = problems + more
        if !all.isEmpty { throw SMFError.validation(all) }
    }

    mutating func value(_ key: String) -> JSONValue? {
        guard let value = members[key] else {
            problems.append(.init(pointer: "/\(key)", detail: "This field is required."))
            return nil
        }
        return value
    }

    /// The member, absent or null being nil (no problem recorded).
    func optionalValue(_ key: String) -> JSONValue? {
        switch members[key] {
        case nil, .null?: return nil
        case let value?: return value
        }
    }

    mutating func record(_ problem: SMFError.FieldError) {
        problems.append(problem)
    }

    mutating func string(_ key: String) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else {
            problems.append(.init(pointer: "/\(key)", detail: "Use a string."))
            return nil
        }
        return text
    }

    /// Absent and null are both "not given".
    mutating func optionalString(_ key: String) -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default:
            problems.append(.init(pointer: "/\(key)", detail: "Use a string or null."))
            return nil
        }
    }

    mutating func integer(_ key: String) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .integer(let number) = value, let result = Int(exactly: number) else {
            problems.append(.init(pointer: "/\(key)", detail: "Use a whole number."))
            return nil
        }
        return result
    }
}

enum JSONPointerEscape {
    /// RFC 6901: `~` → `~0`, `/` → `~1`.
    static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
