import Foundation
import SMFCore
import SMFSecurity
import Testing
import VaporTesting
import Yams
@testable import SMFServer

/// `openapi/smflow.yaml` against the code: the router's routes and the
/// document's operations are the same set, each operation's security and
/// declared errors follow from its route's access rule, the enums are the
/// code's, and `GET /api/v1/openapi.json` serves exactly the YAML.
/// (Request and response shapes are checked live by schemathesis in
/// scripts/test, scripts/lib/schemathesis.sh.)
@Suite struct OpenAPIDocumentTests {
    static let repositoryFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("openapi/smflow.yaml")

    static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    /// One operation: `GET /api/v1/workspaces/{workspaceID}`.
    struct OperationKey: Hashable, Comparable, CustomStringConvertible {
        let method: String
        let path: String
        var description: String { "\(method) \(path)" }
        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.path, lhs.method) < (rhs.path, rhs.method) }
    }

    // MARK: - Routes and operations

    @Test func every_route_is_documented_and_every_operation_has_a_route() throws {
        let document = try Self.document()
        let documented = Set(try Self.operations(document).keys)
        let routed = Set(RouteTable.all.map(Self.key))
        for missing in routed.subtracting(documented).sorted() {
            Issue.record("\(missing) is a route (RouteTable) but not in openapi/smflow.yaml")
        }
        for extra in documented.subtracting(routed).sorted() {
            Issue.record("\(extra) is in openapi/smflow.yaml but no route serves it")
        }
        #expect(routed.count == RouteTable.all.count, "RouteTable has a route twice")
    }

    @Test func security_follows_the_route_access_rule() throws {
        let operations = try Self.operations(try Self.document())
        for spec in RouteTable.all {
            let key = Self.key(spec)
            guard let operation = operations[key] else { continue } // reported by the test above
            let declared = try Self.security(operation, at: key)
            #expect(declared == Self.expectedSecurity(spec), "\(key): security")
            switch spec.access {
            case .workspace(let action):
                let role = AuthorizationPolicy.rule(for: action).minimumRole.rawValue
                #expect(operation["x-smflow-minimum-role"] as? String == role, "\(key): x-smflow-minimum-role")
            case .anonymous, .user:
                #expect(operation["x-smflow-minimum-role"] == nil, "\(key): x-smflow-minimum-role on a route without a workspace")
            }
            #expect(operation["x-smflow-rate-limit"] as? String == spec.rateLimit?.rawValue ?? "none",
                    "\(key): x-smflow-rate-limit")
        }
    }

    /// What the pipeline itself can answer, whatever the handler does.
    @Test func declared_responses_cover_the_pipeline() throws {
        let operations = try Self.operations(try Self.document())
        for spec in RouteTable.all {
            let key = Self.key(spec)
            guard let operation = operations[key] else { continue }
            let statuses = Set(try Self.map(operation["responses"], at: "\(key) responses").keys)
            var needed: Set<String> = []
            if spec.rateLimit != nil { needed.insert("429") }
            switch spec.access {
            case .anonymous: break
            case .user: needed.insert("401")
            case .workspace: needed.formUnion(["401", "403", "404"])
            }
            if spec.webhookBody {
                // Raw bodies, authenticated before parsing: malformed 400,
                // refused 403, unknown endpoint 404, over the cap 413. No
                // strict JSON envelope, so no 415/422 from the body rules.
                #expect(operation["requestBody"] != nil, "\(key) is a webhook route but documents no body")
                needed.formUnion(["400", "403", "404", "413"])
            } else if let body = operation["requestBody"] {
                let required = try Self.resolve(body)["required"] as? Bool ?? false
                needed.formUnion(required ? ["400", "413", "415", "422"] : ["413", "422"])
                #expect(spec.maxBody != nil, "\(key) documents a body, but the route states no body cap")
            }
            for status in needed.sorted() where !statuses.contains(status) {
                Issue.record("\(key) does not declare \(status)")
            }
            #expect(statuses.contains { $0.hasPrefix("2") }, "\(key) declares no success response")
        }
    }

    @Test func enums_are_the_codes() throws {
        let schemas = try Self.map(try Self.map(try Self.document()["components"], at: "components")["schemas"], at: "schemas")
        func enumeration(_ name: String) throws -> [String] {
            let schema = try Self.map(schemas[name], at: name)
            return try #require(schema["enum"] as? [String], "\(name) has no string enum")
        }
        #expect(try enumeration("Role") == WorkspaceRole.allCases.map(\.rawValue))
        #expect(try enumeration("APIKeyScope") == APIKeyScope.allCases.map(\.rawValue))
        #expect(try enumeration("SecurityEventType") == SecurityEventType.allCases.map(\.rawValue))
        #expect(try enumeration("FlowStatus") == FlowStatus.allCases.map(\.rawValue))
        #expect(try enumeration("PortType") == PortType.allCases.map(\.rawValue))
        #expect(try enumeration("CredentialKind") == CredentialKind.allCases.map(\.rawValue))
        #expect(try enumeration("ExecutionStatus") == ExecutionStatus.allCases.map(\.rawValue))
        #expect(try enumeration("WebhookKind") == WebhookKind.allCases.map(\.rawValue))
        #expect(Set(try enumeration("WebhookKind")) == Set(TriggerRegistration.webhookTriggers.values.map(\.rawValue)),
                "every webhook kind is some trigger's")
        #expect(Set(try enumeration("StepStatus")) == Set(Self.stepStatuses.map(\.rawValue)))
    }

    /// Every `StepRecord.Status` (not `CaseIterable` in SMFCore): the
    /// exhaustive switch stops compiling when a case is added, so the list
    /// cannot silently fall behind.
    static let stepStatuses: [StepRecord.Status] = [.succeeded, .failed, .skipped, .timedOut, .running].filter { status in
        switch status {
        case .succeeded, .failed, .skipped, .timedOut, .running: true
        }
    }

    // MARK: - Serving it

    /// The resource bundle holds the repository's file (SwiftPM copied what
    /// the symlink Sources/SMFServer/Resources/smflow.yaml points to), so
    /// there is one source of truth and no stale copy.
    @Test func the_bundled_document_is_the_repository_file() throws {
        let bundled = try Data(contentsOf: OpenAPIDocument.bundledURL)
        let repository = try Data(contentsOf: Self.repositoryFile)
        #expect(bundled == repository, "\(OpenAPIDocument.bundledURL.path) differs from openapi/smflow.yaml: rebuild")
    }

    @Test func openapi_json_serves_the_yaml_as_json() async throws {
        let expected = try Self.canonical(yaml: try Yams.load(yaml: String(contentsOf: Self.repositoryFile, encoding: .utf8)) as Any)
        try await withTestApp { app in
            for _ in 1...2 {
                try await app.testing().test(.GET, "api/v1/openapi.json") { res in
                    #expect(res.status == .ok)
                    #expect(res.headers.contentType == .json)
                    #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
                    #expect(res.headers.first(name: "Content-Security-Policy") == SecurityHeaders.apiContentSecurityPolicy)
                    #expect(res.headers.first(name: "Cache-Control") == "no-store")
                    #expect(res.headers.first(name: "X-Request-ID") != nil)
                    let served = try JSONDecoder().decode(JSONValue.self, from: Data(res.body.readableBytesView))
                    #expect(Self.canonical(json: served) == expected)
                }
            }
            try await app.testing().test(.GET, "api/v1") { res in
                #expect(res.status == .ok)
                let links = (try? JSONSerialization.jsonObject(with: Data(res.body.readableBytesView)) as? [String: Any])?["links"]
                #expect((links as? [String: String])?["openapi"] == "/api/v1/openapi.json")
            }
        }
    }

    @Test func converter_keeps_yaml_types_and_escapes_strings() throws {
        let yaml = """
            b: 'x"\\\\y\\t'
            a: "line\\nbreak \\u0001 é"
            n: 3
            s: '3'
            f: 1.5
            t: true
            z: null
            d: '2026-11-29'
            l: [1, two]
            """
        let json = String(decoding: try OpenAPIDocument.json(fromYAML: yaml), as: UTF8.self)
        #expect(json == #"{"b":"x\"\\\\y\\t","a":"line\nbreak \u0001 é","n":3,"s":"3","f":1.5,"t":true,"z":null,"d":"2026-11-29","l":[1,"two"]}"#)
        #expect(throws: (any Error).self) { try OpenAPIDocument.json(fromYAML: "a: 1\na: 2\n") }
        // Aliases are expanded, as every YAML reader does.
        #expect(try OpenAPIDocument.json(fromYAML: "a: &x {b: 1}\nc: *x\n") == Array(#"{"a":{"b":1},"c":{"b":1}}"#.utf8))
        #expect(throws: OpenAPIDocument.Failure.self) { try OpenAPIDocument.json(fromYAML: "a: .inf\n") }
    }

    @Test func a_missing_document_is_a_logged_500_not_a_crash() async throws {
        let cache = OpenAPIDocumentCache { .failure(.init(description: "gone")) }
        guard case .failure(let failure) = await cache.json() else {
            Issue.record("a failed load must stay a failure")
            return
        }
        #expect(failure.description == "gone")
    }

    // MARK: - Helpers

    static func key(_ spec: RouteSpec) -> OperationKey {
        let path = "/" + spec.path.split(separator: "/").map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }.joined(separator: "/")
        return OperationKey(method: spec.method.rawValue.lowercased(), path: path)
    }

    static func isUnsafe(_ spec: RouteSpec) -> Bool {
        ![HTTPMethod.GET, .HEAD, .OPTIONS].contains(spec.method)
    }

    /// The alternatives (OR) of requirements (AND), as the document must say them.
    static func expectedSecurity(_ spec: RouteSpec) -> [[String: [String]]] {
        let cookie: [String: [String]] = isUnsafe(spec) ? ["sessionCookie": [], "csrfToken": []] : ["sessionCookie": []]
        switch spec.access {
        case .anonymous:
            return []
        case .user:
            return [["sessionToken": []], cookie]
        case .workspace(let action):
            let key = AuthorizationPolicy.rule(for: action).apiKeyScope.map { [["apiKey": [$0.rawValue]]] } ?? []
            return key + [["sessionToken": []], cookie]
        }
    }

    static func security(_ operation: [String: Any], at key: OperationKey) throws -> [[String: [String]]] {
        let list = try #require(operation["security"] as? [Any], "\(key) states no security (anonymous routes say security: [])")
        return try list.map { requirement in
            try map(requirement, at: "\(key) security").mapValues { scopes in
                try #require(scopes as? [String], "\(key): scopes must be a list of strings")
            }
        }
    }

    static func document() throws -> [String: Any] {
        try map(try Yams.load(yaml: String(contentsOf: repositoryFile, encoding: .utf8)), at: "the document")
    }

    static func operations(_ document: [String: Any]) throws -> [OperationKey: [String: Any]] {
        var result: [OperationKey: [String: Any]] = [:]
        for (path, item) in try map(document["paths"], at: "paths") {
            for (method, operation) in try map(item, at: path) where methods.contains(method) {
                result[OperationKey(method: method, path: path)] = try map(operation, at: "\(method) \(path)")
            }
        }
        return result
    }

    /// A YAML mapping with string keys (response codes are quoted).
    static func map(_ value: Any?, at place: String) throws -> [String: Any] {
        let mapping = try #require(value as? [AnyHashable: Any], "\(place) is not a mapping")
        var result: [String: Any] = [:]
        for (key, element) in mapping {
            result[try #require(key.base as? String, "\(place): the key \(key) is not a string (quote it)")] = element
        }
        return result
    }

    /// The target of a local `$ref` (`#/components/…`), else the value itself.
    static func resolve(_ value: Any) throws -> [String: Any] {
        let object = try map(value, at: "a reference")
        guard let reference = object["$ref"] as? String, reference.hasPrefix("#/") else { return object }
        var current: Any = try document()
        for part in reference.dropFirst(2).split(separator: "/") {
            current = try #require(try map(current, at: reference)[String(part)], "\(reference) does not resolve")
        }
        return try map(current, at: reference)
    }

    /// A value for comparing a YAML parse with a JSON parse: numbers as
    /// Double, objects unordered.
    indirect enum Canonical: Equatable {
        case null, bool(Bool), number(Double), string(String), array([Canonical]), object([String: Canonical])
    }

    static func canonical(yaml value: Any) throws -> Canonical {
        switch value {
        case is NSNull: return .null
        case let value as Bool: return .bool(value)
        case let value as Int: return .number(Double(value))
        case let value as Double: return .number(value)
        case let value as String: return .string(value)
        case let value as [Any]: return .array(try value.map { try canonical(yaml: $0) })
        case let value as [AnyHashable: Any]:
            return .object(try map(value, at: "yaml").mapValues { try canonical(yaml: $0) })
        default:
            throw YAMLTypeUnexpected(description: "\(type(of: value)) in the YAML (quote dates)")
        }
    }

    struct YAMLTypeUnexpected: Error, CustomStringConvertible {
        let description: String
    }

    static func canonical(json value: JSONValue) -> Canonical {
        switch value {
        case .null: .null
        case .bool(let value): .bool(value)
        case .integer(let value): .number(Double(value))
        case .number(let value): .number(value)
        case .string(let value): .string(value)
        case .array(let values): .array(values.map { canonical(json: $0) })
        case .object(let members): .object(members.mapValues { canonical(json: $0) })
        }
    }
}
