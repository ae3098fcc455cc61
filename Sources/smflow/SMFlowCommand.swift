import ArgumentParser

@main
struct SMFlowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smflow",
        abstract: "SocialMediaFlow: self-hosted social-media automation with a production security checklist built in.",
        subcommands: [
            ServeCommand.self,
            WorkerCommand.self,
            MigrateCommand.self,
            ConfigCommand.self,
            SecretsCommand.self,
            HealthcheckCommand.self,
            AdminCommand.self,
            AuditCommand.self,
            BackupCommand.self,
            RestoreCommand.self,
            SecurityReportCommand.self,
            CredentialsCommand.self,
        ]
    )
}
