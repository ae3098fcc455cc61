import Fluent
import Foundation
import SMFCore
import Vapor

extension FlowController {
    /// `POST /flows/validate {document, purpose}`: every problem, nothing saved.
    @Sendable static func validate(_ request: Request) async throws -> ValidationBody {
        let grant = try request.grant()
        let body = try ValidateBody(request)
        let checked = try await FlowChecker(workspaceID: grant.workspaceID, database: request.db)
            .check(body.document, purpose: body.purpose)
        return ValidationBody(valid: checked.validation.isValid,
                              problems: checked.validation.problems.map(FlowChecker.apiProblem))
    }

    /// `GET /flows/:flowID/export?version`: the flow as a file another
    /// workspace or installation can import. Credential ids travel along
    /// (they are references, never secrets); the import drops foreign ones.
    @Sendable static func export(_ request: Request) async throws -> ExportBody {
        let grant = try request.grant()
        var query = try StrictQuery(request, allowed: ["version"])
        let number = query.integer("version", in: 1...1_000_000_000)
        try query.finish()
        let flow = try await load(request, grant: grant)
        let version = try await loadVersion(flow, number: number ?? flow.latestVersion, on: request.db)
        return ExportBody(format: exportFormat, name: flow.name, description: flow.flowDescription,
                          document: try FlowDocumentCodec.decode(version.document))
    }

    /// `POST /flows/import`: a new flow from an export. Credential
    /// references that are not this workspace's are removed first (and
    /// listed in `stripped_credentials`); the rest is validated as a save.
    @Sendable static func importFlow(_ request: Request) async throws -> Response {
        let grant = try request.grant()
        let body = try ImportBody(request)
        let checker = FlowChecker(workspaceID: grant.workspaceID, database: request.db)
        let first = try await checker.check(body.document, purpose: .save)
        guard let parsed = first.validation.document else {
            throw FlowChecker.invalid(first.validation.errors)
        }
        // The first check already loaded the workspace's credentials among the references.
        let (stripped, pointers) = parsed.strippingCredentials(notIn: Set(first.credentials.keys), catalog: .standard)
        let document = pointers.isEmpty ? body.document : try FlowDocumentCodec.encode(stripped)
        let checked = try await checker.requireValid(document, purpose: .save)
        let flow = try await insert(name: body.name, description: body.description, comment: "Imported",
                                    encoded: checked.encoded, grant: grant, request: request)
        var answer = try Self.body(for: flow, document: document)
        answer.warnings = checked.validation.warnings.map(FlowChecker.apiProblem)
        answer.stripped_credentials = pointers.map { "/document" + $0 }
        return try await created(answer, flow: flow, request: request)
    }
}
