import ArgumentParser
import Foundation
import SMFCore
import SMFSecurity
import SMFServer

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Administration from the server's own shell.",
        subcommands: [CreateUser.self]
    )

    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-user",
            abstract: "Create an account with a workspace it owns (the first owner of an installation).",
            discussion: """
                The password is read from standard input (one line). With --generate-password a strong \
                one is generated and printed once on standard output. Passwords are never taken as \
                arguments: those are visible to every user of the machine in the process list.
                """
        )

        @Option(help: "Email address of the account.")
        var email: String

        @Option(help: "Role in the new workspace: owner, admin, editor or viewer.")
        var role: String = "owner"

        @Option(help: "Name of the workspace created for the account.")
        var workspace: String = "Default"

        @Flag(help: "Generate a password and print it once.")
        var generatePassword = false

        func validate() throws {
            guard WorkspaceRole(rawValue: role) != nil else { throw ValidationError("--role must be owner, admin, editor or viewer") }
            guard (1...100).contains(workspace.count) else { throw ValidationError("--workspace must be 1 to 100 characters") }
        }

        func run() async throws {
            let config = try ConfigurationLoading.loadOrExit()
            LoggingSetup.bootstrap(format: config.logFormat, level: .warning)
            let password: String
            if generatePassword {
                // 24 random bytes, base64url: 32 characters, ~192 bits.
                password = String(OpaqueToken.generate().prefix(32))
            } else {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    Output.error("smflow: no password on standard input (or use --generate-password)")
                    throw ExitCode(64)
                }
                password = line
            }
            do {
                let created = try await AdminUserCreator.create(
                    config: config, email: email, password: password, role: WorkspaceRole(rawValue: role) ?? .owner,
                    workspaceName: workspace)
                if generatePassword { Output.line(password) }
                Output.error("smflow: created user \(created.userID) (\(role) of workspace \(created.workspaceID?.uuidString ?? "-"))")
            } catch let failure as AdminUserCreator.Failure {
                Output.error("smflow: \(failure)")
                throw ExitCode.failure
            }
        }
    }
}
