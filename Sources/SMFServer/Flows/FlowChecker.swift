import Fluent
import Foundation
import SMFCore
import Vapor

/// Runs `FlowValidator` for a workspace: loads the credentials a document
/// references (only those, and only the workspace's own) and turns the
/// problems into API shapes. Pointers are into the request body, so the
/// document's own pointers get the `/document` prefix.
struct FlowChecker {
    let workspaceID: UUID
    let database: any Database

    struct Checked {
        let validation: FlowValidation
        let encoded: FlowDocumentCodec.Encoded
        /// The workspace's credentials the document references, by lower-cased id.
        let credentials: [String: CredentialKind]
    }

    func check(_ document: JSONValue, purpose: ValidationPurpose) async throws -> Checked {
        let encoded = try FlowDocumentCodec.encode(document)
        let credentials = try await kinds(of: FlowValidator.credentialReferences(in: document, catalog: .standard))
        let validation = FlowValidator.validate(document, byteCount: encoded.byteCount, credentials: credentials,
                                                purpose: purpose, catalog: .standard)
        return Checked(validation: validation, encoded: encoded, credentials: credentials)
    }

    /// Like `check`, but refuses (422) a document with errors.
    func requireValid(_ document: JSONValue, purpose: ValidationPurpose) async throws -> Checked {
        let checked = try await check(document, purpose: purpose)
        guard checked.validation.isValid else {
            throw Self.invalid(checked.validation.errors)
        }
        return checked
    }

    /// The workspace's credentials among `ids`, by lower-cased id.
    func kinds(of ids: Set<String>) async throws -> [String: CredentialKind] {
        let uuids = ids.compactMap(UUID.init(uuidString:))
        guard !uuids.isEmpty else { return [:] }
        let rows = try await Credential.query(on: database)
            .filter(\.$workspaceID == workspaceID).filter(\.$id ~~ uuids).all()
        var kinds: [String: CredentialKind] = [:]
        for row in rows {
            if let id = row.id, let kind = CredentialKind(rawValue: row.kind) {
                kinds[id.uuidString.lowercased()] = kind
            }
        }
        return kinds
    }

    static func invalid(_ problems: [FlowProblem]) -> SMFError {
        var error = SMFError.validation(problems.map(fieldError))
        error = SMFError(error.status, code: "invalid-flow", title: "Unprocessable content",
                         detail: "The flow has \(problems.count) problem(s); each is listed with its location.",
                         fieldErrors: error.fieldErrors)
        return error
    }

    static func fieldError(_ problem: FlowProblem) -> SMFError.FieldError {
        .init(pointer: "/document" + problem.pointer, detail: problem.detail, code: problem.code)
    }

    static func apiProblem(_ problem: FlowProblem) -> FlowController.ProblemBody {
        .init(pointer: "/document" + problem.pointer, code: problem.code, detail: problem.detail,
              severity: problem.severity.rawValue)
    }
}
