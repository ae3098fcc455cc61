import Vapor

/// Every route of the server, in one place.
func routes(_ app: Application) {
    app.get("healthz", use: HealthController.healthz)
    app.get("readyz", use: HealthController.readyz)
    app.get("metrics", use: MetricsController.scrape)

    let api = app.grouped("api", "v1")
    api.get(use: APIIndexController.index)
}
