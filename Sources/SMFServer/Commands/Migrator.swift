import Fluent
import SMFSecurity
import Vapor

/// Applies pending migrations (`smflow migrate`).
public enum Migrator {
    /// - Returns: how many migrations the registry lists (all now applied).
    @discardableResult
    public static func migrate(config: AppConfig) async throws -> Int {
        let app = try await ServerRunner.makeApplication(config: config)
        do {
            try await app.autoMigrate()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
        return AppMigrations.all.count
    }
}
