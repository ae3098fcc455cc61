import Foundation
import SMFCore
import Vapor

/// `POST /api/v1/csp-reports`: where browsers report Content-Security-Policy
/// violations of the console (`report-uri`: `application/csp-report`;
/// `report-to`: `application/reports+json`, the Reporting API). Anonymous
/// (browsers send what they like), body at most `maxBody` bytes, rate class
/// `write` per client. Each accepted request is one warning log line and one
/// `csp.violation` security event, with a cleaned summary only: the
/// directive, the blocked resource reduced to its kind or origin, the page's
/// and the source file's path without query or fragment, the line and how
/// many reports came. Never the sample, a query string or a full URL: those
/// may carry tokens or the payload itself.
enum CSPReports {
    static let maxBody = 64 * 1024
    /// Reports read from one Reporting API batch; the rest are only counted.
    static let maxReports = 20
    static let mediaTypes: Set<String> = ["application/csp-report", "application/reports+json"]

    struct Summary: Equatable, Sendable {
        var directive = "unknown"
        var blocked = "unknown"
        var document = ""
        var source = ""
        var line = ""
        var disposition = "enforce"

        var details: [String: String] {
            var details = ["directive": directive, "blocked": blocked, "disposition": disposition]
            if !document.isEmpty { details["document"] = document }
            if !source.isEmpty { details["source"] = source }
            if !line.isEmpty { details["line"] = line }
            return details
        }
    }

    @Sendable static func receive(_ request: Request) async throws -> Response {
        let type = request.headers.contentType.map { "\($0.type)/\($0.subType)".lowercased() } ?? ""
        guard mediaTypes.contains(type) else {
            throw SMFError(.unsupportedMediaType, code: "unsupported-media-type", title: "Unsupported Media Type",
                           detail: "Send application/csp-report or application/reports+json.")
        }
        guard let buffer = request.body.data, buffer.readableBytes > 0 else {
            throw SMFError.badRequest("A report body is required.", code: "body-required")
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: Data(buffer.readableBytesView), maxDepth: 8)
        } catch {
            throw SMFError.badRequest("The body is not JSON (or nests deeper than 8 levels).", code: "invalid-body")
        }
        let summaries = type == "application/csp-report" ? legacy(value) : reportingAPI(value)
        guard let first = summaries.first else {
            throw SMFError.validation([.init(pointer: "", detail: type == "application/csp-report"
                ? "Expected an object with a csp-report object."
                : "Expected an array with at least one report of type csp-violation and an object body.")])
        }
        var details = first.details
        details["reports"] = String(summaries.count)
        var metadata: Logger.Metadata = ["reports": .string(String(summaries.count))]
        for (key, value) in details { metadata[key] = .string(value) }
        request.logger.warning("content security policy violation", metadata: metadata)
        await request.application.smf.events.record(.cspViolation, .detected, on: request, details: details)
        return Response(status: .noContent)
    }

    /// `{"csp-report": {...}}` (report-uri).
    static func legacy(_ value: JSONValue) -> [Summary] {
        guard case .object(let root) = value, case .object(let report)? = root["csp-report"] else { return [] }
        return [summary(report, keys: .legacy)]
    }

    /// `[{"type": "csp-violation", "body": {...}}, ...]` (report-to).
    static func reportingAPI(_ value: JSONValue) -> [Summary] {
        guard case .array(let items) = value else { return [] }
        var summaries: [Summary] = []
        for item in items.prefix(maxReports) {
            guard case .object(let report) = item, case .string("csp-violation")? = report["type"],
                  case .object(let body)? = report["body"] else { continue }
            summaries.append(summary(body, keys: .reportingAPI))
        }
        return summaries
    }

    struct Keys {
        let directive: [String], blocked: String, document: String, source: String, line: String, disposition: String
        static let legacy = Keys(directive: ["effective-directive", "violated-directive"], blocked: "blocked-uri",
                                 document: "document-uri", source: "source-file", line: "line-number", disposition: "disposition")
        static let reportingAPI = Keys(directive: ["effectiveDirective"], blocked: "blockedURL", document: "documentURL",
                                       source: "sourceFile", line: "lineNumber", disposition: "disposition")
    }

    static func summary(_ report: [String: JSONValue], keys: Keys) -> Summary {
        func string(_ key: String) -> String? {
            if case .string(let text)? = report[key] { return text }
            return nil
        }
        var summary = Summary()
        if let directive = keys.directive.lazy.compactMap(string).first {
            // `violated-directive` may carry the sources too; the name is enough.
            summary.directive = token(String(directive.split(separator: " ").first ?? ""))
        }
        if let blocked = string(keys.blocked) { summary.blocked = resource(blocked) }
        if let document = string(keys.document) { summary.document = path(of: document) }
        if let source = string(keys.source) { summary.source = path(of: source) }
        switch report[keys.line] {
        case .integer(let line)?: summary.line = String(max(0, min(line, 10_000_000)))
        default: break
        }
        if string(keys.disposition) == "report" { summary.disposition = "report" }
        return summary
    }

    /// A directive name (`script-src-elem`), or `other`.
    static func token(_ text: String) -> String {
        let lowered = text.lowercased()
        guard (1...40).contains(lowered.count), lowered.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D }) else { return "other" }
        return lowered
    }

    /// `inline`, `eval`, `data`, `blob`… as browsers name them, or the URL's origin only.
    static func resource(_ text: String) -> String {
        let keywords: Set<String> = ["inline", "eval", "wasm-eval", "data", "blob", "self", "trusted-types-policy", "trusted-types-sink"]
        let lowered = text.lowercased()
        if keywords.contains(lowered) { return lowered }
        if let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() {
            if scheme == "data" || scheme == "blob" || scheme == "javascript" { return scheme }
            if let host = components.host?.lowercased(), !host.isEmpty,
               host.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E || $0 == 0x3A || $0 == 0x5B || $0 == 0x5D }) {
                return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")".prefix(120).description
            }
            return scheme.prefix(20).description
        }
        return "other"
    }

    /// The path of a URL, without query and fragment, at most 120 characters.
    static func path(of text: String) -> String {
        guard let components = URLComponents(string: text), components.scheme != nil else { return "" }
        let path = components.percentEncodedPath
        guard path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return "" }
        return String(path.prefix(120))
    }
}
