import Foundation
import Vapor

/// The query string of a request, checked like a strict body: parameters
/// the route does not know, or given twice, are refused (400) rather than
/// ignored, so a typo (`?limt=10`) or a smuggled second value never passes
/// silently. Problems are collected and thrown together.
struct StrictQuery {
    private var values: [String: String] = [:]
    private(set) var problems: [SMFError.FieldError] = []

    /// Longest raw query accepted; every parameter of this API is short.
    static let maxLength = 2048

    init(_ request: Request, allowed: Set<String>) throws {
        let raw = request.url.query ?? ""
        guard raw.utf8.count <= Self.maxLength else {
            throw Self.error([.init(pointer: "?", detail: "The query string is longer than \(Self.maxLength) bytes.")])
        }
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            let shown = String(name.prefix(64))
            guard allowed.contains(name) else {
                problems.append(.init(pointer: "?\(shown)", detail: "Unknown query parameter."))
                continue
            }
            guard values[name] == nil else {
                problems.append(.init(pointer: "?\(shown)", detail: "Give this parameter once."))
                continue
            }
            values[name] = value
        }
    }

    /// Throws every problem found so far (unknown names and bad values).
    func finish() throws {
        if !problems.isEmpty { throw Self.error(problems) }
    }

    func string(_ name: String, maxLength: Int) -> String? {
        guard let value = values[name] else { return nil }
        return value.count <= maxLength ? value : nil
    }

    mutating func string(_ name: String, maxLength: Int, problem: String) -> String? {
        guard let value = values[name] else { return nil }
        guard value.count <= maxLength else {
            problems.append(.init(pointer: "?\(name)", detail: problem))
            return nil
        }
        return value
    }

    mutating func integer(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard let raw = values[name] else { return nil }
        guard raw.utf8.count <= 12, let value = Int(raw), range.contains(value) else {
            problems.append(.init(pointer: "?\(name)", detail: "Use a whole number from \(range.lowerBound) to \(range.upperBound)."))
            return nil
        }
        return value
    }

    mutating func requiredInteger(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard values[name] != nil else {
            problems.append(.init(pointer: "?\(name)", detail: "This parameter is required."))
            return nil
        }
        return integer(name, in: range)
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) -> T? where T.RawValue == String {
        guard let raw = values[name] else { return nil }
        guard let value = T(rawValue: raw) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            problems.append(.init(pointer: "?\(name)", detail: "Use one of: \(allowed)."))
            return nil
        }
        return value
    }

    mutating func record(_ name: String, _ detail: String) {
        problems.append(.init(pointer: "?\(name)", detail: detail))
    }

    private static func decode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    private static func error(_ problems: [SMFError.FieldError]) -> SMFError {
        SMFError(.badRequest, code: "invalid-query", title: "Bad request",
                 detail: "The query parameters are invalid.", fieldErrors: problems)
    }
}

extension StrictQuery {
    /// A UUID parameter; a malformed one is recorded as a problem.
    mutating func uuid(_ name: String) -> UUID? {
        guard let raw = string(name, maxLength: 64, problem: "Use a UUID.") else { return nil }
        guard let id = UUID(uuidString: raw) else {
            record(name, "Use a UUID.")
            return nil
        }
        return id
    }

    /// An RFC 3339 time (`2026-11-29T14:00:00Z`); a malformed one is recorded.
    mutating func timestamp(_ name: String) -> Date? {
        let hint = "Use an RFC 3339 time such as 2026-11-29T14:00:00Z."
        guard let raw = string(name, maxLength: 64, problem: hint) else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: raw) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: raw) { return date }
        record(name, hint)
        return nil
    }
}
