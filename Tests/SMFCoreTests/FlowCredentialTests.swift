import Foundation
import Testing
import SMFCore

/// Credential references: save vs deploy, existence and kind, the lookup
/// list for the server, and stripping on import.
@Suite struct FlowCredentialTests {
    typealias F = FlowFixtures
    typealias Code = FlowProblem.Code

    @Test func missing_credential_is_a_warning_on_save_and_an_error_on_deploy() {
        for missing in [JSONValue?.none, .some(.null)] {
            let flow = F.threeNodeFlow.setting("nodes.1.settings.credential", to: missing)
            let saved = F.validate(flow, purpose: .save)
            let problem = expectProblem(saved, Code.credentialMissing, at: "/nodes/1/settings/credential", severity: .warning)
            #expect(problem?.detail.contains("before deploying") == true)
            #expect(saved.isValid)
            let deployed = F.validate(flow, purpose: .deploy)
            expectProblem(deployed, Code.credentialMissing, at: "/nodes/1/settings/credential", severity: .error)
            #expect(!deployed.isValid)
        }
    }

    @Test func optional_credential_may_be_absent_on_deploy() {
        let flow = FlowValidatorShapeTests.withHTTPRequest(F.threeNodeFlow).setting("nodes.3.settings.credential", to: nil)
        #expect(F.validate(flow, purpose: .deploy).problems == [])
    }

    @Test func credential_that_is_not_a_uuid() {
        for purpose in [ValidationPurpose.save, .deploy] {
            let flow = F.threeNodeFlow.setting("nodes.1.settings.credential", to: "my-openai-key")
            expectProblem(F.validate(flow, purpose: purpose), Code.credentialInvalid, at: "/nodes/1/settings/credential")
            let number = F.threeNodeFlow.setting("nodes.1.settings.credential", to: 12)
            expectProblem(F.validate(number, purpose: purpose), Code.settingWrongType, at: "/nodes/1/settings/credential")
        }
    }

    @Test func credential_not_in_the_workspace() {
        for purpose in [ValidationPurpose.save, .deploy] {
            let flow = F.threeNodeFlow.setting("nodes.1.settings.credential", to: "00000000-0000-4000-8000-000000000000")
            expectProblem(F.validate(flow, purpose: purpose), Code.credentialNotFound, at: "/nodes/1/settings/credential")
        }
    }

    @Test func credential_of_the_wrong_kind() {
        for purpose in [ValidationPurpose.save, .deploy] {
            let flow = F.threeNodeFlow.setting("nodes.1.settings.credential", to: .string(F.telegramBot))
            let problem = expectProblem(F.validate(flow, purpose: purpose), Code.credentialWrongKind, at: "/nodes/1/settings/credential")
            #expect(problem?.detail.contains("llm.openai_compatible") == true)
        }
    }

    @Test func upper_case_ids_match() {
        let flow = F.threeNodeFlow.setting("nodes.1.settings.credential", to: .string(F.llm.uppercased()))
        #expect(F.validate(flow).problems == [])
    }

    @Test func references_are_found_by_schema_and_lower_cased() {
        let flow = FlowValidatorShapeTests.withHTTPRequest(F.threeNodeFlow)
            .setting("nodes.1.settings.credential", to: .string(F.llm.uppercased()))
            // Not a credential setting: not a reference.
            .setting("nodes.1.settings.model", to: "00000000-0000-4000-8000-000000000000")
        #expect(FlowValidator.credentialReferences(in: flow) == [F.telegramBot, F.llm, F.httpHeader])
        #expect(FlowValidator.credentialReferences(in: "junk").isEmpty)
        let notUUID = F.threeNodeFlow.setting("nodes.0.settings.credential", to: "'; drop table x")
        #expect(FlowValidator.credentialReferences(in: notUUID) == [F.llm, F.telegramBot])
    }

    @Test func stripping_removes_foreign_credentials() throws {
        let document = try #require(F.validate(F.threeNodeFlow).document)
        let (stripped, pointers) = document.strippingCredentials(notIn: [F.telegramBot.uppercased()])
        #expect(pointers == ["/nodes/1/settings/credential"])
        #expect(stripped.nodes[1].settings["credential"] == nil)
        #expect(stripped.nodes[0].settings["credential"] == .string(F.telegramBot))
        #expect(stripped.nodes[1].settings["model"] == "gpt-4o-mini")
        // The stripped flow saves with a warning and is refused for deploy.
        let saved = F.validate(stripped.jsonValue, purpose: .save)
        #expect(saved.isValid)
        expectProblem(saved, Code.credentialMissing, at: "/nodes/1/settings/credential", severity: .warning)
        let (all, everything) = document.strippingCredentials(notIn: [])
        #expect(everything == ["/nodes/0/settings/credential", "/nodes/1/settings/credential", "/nodes/2/settings/credential"])
        #expect(all.nodes.allSatisfy { $0.settings["credential"] == nil })
        let (same, none) = document.strippingCredentials(notIn: Set(F.credentials.keys))
        #expect(none.isEmpty)
        #expect(same == document)
    }
}
