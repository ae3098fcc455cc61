import Vapor

/// Registers every entry of `RouteTable.all`, with the middleware its
/// access rule needs and the body cap it states.
func routes(_ app: Application) {
    for spec in RouteTable.all {
        let builder: any RoutesBuilder
        switch spec.access {
        case .anonymous:
            builder = app
        case .user:
            builder = app.grouped(AuthenticationMiddleware(allowAPIKeys: false))
        case .workspace(let action):
            builder = app.grouped(AuthenticationMiddleware(allowAPIKeys: true), WorkspaceAuthorizationMiddleware(action: action))
        }
        let cap = spec.webhookBody ? app.smf.config.webhookMaxBodyBytes : spec.maxBody
        let body: HTTPBodyStreamStrategy = cap.map { .collect(maxSize: ByteCount(value: $0)) } ?? .collect
        let route = builder.on(spec.method, spec.pathComponents, body: body, use: spec.handler)
        if let kind = spec.rateLimit {
            route.userInfo[RateLimiter.classKey] = kind
        }
    }
}
