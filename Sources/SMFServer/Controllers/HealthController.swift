import Vapor

/// Liveness and readiness for load balancers, orchestrators and the Docker
/// HEALTHCHECK (`smflow healthcheck`). Checklist key `health.availability`.
enum HealthController {
    struct Status: Content {
        let status: String
    }

    /// Alive: the process answers. Touches nothing else, so a slow database
    /// never gets a healthy process restarted.
    @Sendable static func healthz(_ request: Request) async throws -> Status {
        Status(status: "ok")
    }

    /// Ready: the database answers within 1 s and is migrated; otherwise 503.
    @Sendable static func readyz(_ request: Request) async throws -> Status {
        let context = request.application.smf
        switch await context.readiness.check(request.db) {
        case .ready:
            return Status(status: "ready")
        case .databaseUnreachable:
            context.metrics.databaseError()
            request.logger.warning("readiness check failed", metadata: ["reason": "database unreachable"])
            throw SMFError.notReady("The database is not reachable.")
        case .migrationsPending:
            request.logger.warning("readiness check failed", metadata: ["reason": "migrations pending"])
            throw SMFError.notReady("Database migrations are pending; run `smflow migrate`.")
        }
    }
}
