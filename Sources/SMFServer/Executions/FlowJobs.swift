import Vapor

/// The job handlers of this server, registered in one place (STYLE 10):
/// `smflow worker` and `serve --with-worker` run exactly these.
public enum FlowJobs {
    public static func handlers(for app: Application) -> JobHandlers {
        let runner = ExecutionRunner(services: app.execution, clock: app.smf.clock)
        var handlers = JobHandlers()
        handlers.register(ExecutionJob.kind) { job, context in try await runner.handle(job, context) }
        return handlers
    }
}
