import Vapor

/// The whole global request pipeline in one layer, in the order of
/// DESIGN.md ("Request pipeline"), outermost first:
///
/// 1. request id (`RequestID`), start of the access log (`AccessLog`);
/// 2. CORS (`CrossOriginPolicy`): a preflight is answered here;
/// 3. rate limit (`RateLimiter`): a refusal is answered here (429);
/// 4. body size limit (`BodyLimit`), then the routes — each route group
///    adds authentication and authorization — with every error they throw
///    mapped to problem+json (`ProblemMapping`);
/// 5. on the way out, whatever answered: rate-limit headers, CORS headers,
///    security headers (`SecurityHeaders`), `X-Request-ID`, the access-log
///    line, metrics and the unusual-usage detector.
///
/// One layer rather than seven: each Vapor `Middleware` layer costs a
/// responder hop and a future map per request, which together with the log
/// line made up most of the pipeline's cost in the foundation benchmark
/// (benchmarks/RESULTS.md). The rules themselves live in the files named
/// above; this type only orders them. It is future-based, not
/// `AsyncMiddleware`: that would start a task and hop threads per request.
struct RequestPipelineMiddleware: Middleware {
    let accessLog: AccessLog
    let securityHeaders: SecurityHeaders
    let crossOrigin: CrossOriginPolicy
    let rateLimiter: RateLimiter
    let problems: ProblemMapping
    let bodyLimit: BodyLimit

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let start = ContinuousClock.now
        accessLog.started()
        let requestID = RequestID.assign(to: request)
        // Resolved now, while the application is surely configured: a
        // request can outlive a bounded shutdown, and its log line must not
        // need the application's context any more when it finally ends.
        _ = request.clientAddress
        let allowedOrigin = crossOrigin.allowedOrigin(of: request)

        let answered: EventLoopFuture<Response>
        if let preflight = crossOrigin.preflight(request, allowedOrigin: allowedOrigin) {
            answered = request.eventLoop.makeSucceededFuture(preflight)
        } else {
            let problems = self.problems, bodyLimit = self.bodyLimit, crossOrigin = self.crossOrigin
            answered = rateLimiter.limit(request) {
                if let violation = bodyLimit.violation(request) {
                    return request.eventLoop.makeSucceededFuture(problems.response(for: violation, to: request))
                }
                return next.respond(to: request).flatMapErrorThrowing { error in
                    problems.response(for: error, to: request)
                }
            }.map { response in
                crossOrigin.apply(to: &response.headers, allowedOrigin: allowedOrigin)
                return response
            }
        }
        return answered.flatMapErrorThrowing { error in
            // Only the rate limiter's own failure path could get here, and
            // it recovers; kept so that nothing ever escapes unmapped.
            problems.response(for: error, to: request)
        }.map { [accessLog, securityHeaders] response in
            securityHeaders.apply(to: &response.headers)
            response.headers.replaceOrAdd(name: RequestID.headerName, value: requestID)
            accessLog.finished(request, status: Int(response.status.code), bytes: response.body.count, since: start)
            return response
        }
    }
}
