import AsyncHTTPClient
import Fluent
import Foundation
import NIOCore
import SMFCore
import SMFSecurity
import Vapor

/// What running flows needs, built once by `configure` from the
/// configuration and shared by the webhook routes, the API and the worker:
/// the queue, the vault, the outbound clients and the SSRF guard.
struct ExecutionServices: Sendable {
    let queue: JobQueue
    let worker: WorkerSettings
    let vault: CredentialVault?
    let endpointSecrets: EndpointSecrets
    let metrics: WebhookMetrics
    let telegram: TelegramClient
    let instagram: InstagramGraphClient
    let fetcher: GuardedHTTPFetcher
    /// LLM calls pinned to the vetted address (the base URL is user-supplied).
    let llmConnector: PinnedLLMConnector
    let outbound: OutboundGuard
    /// `SMF_PUBLIC_URL` without a trailing slash: the base of webhook URLs.
    let publicURL: String?

    init(config: AppConfig, client: HTTPClient, eventLoopGroup: any EventLoopGroup, database: @escaping @Sendable () -> any Database,
         clock: AppClock, jobMetrics: JobMetrics, webhookMetrics: WebhookMetrics, logger: Logger) {
        worker = WorkerSettings(config: config)
        queue = JobQueue(database: database, clock: clock, defaultMaxAttempts: config.jobMaxAttempts, metrics: jobMetrics, logger: logger)
        vault = CredentialVault(config: config)
        endpointSecrets = EndpointSecrets(vault: vault)
        metrics = webhookMetrics
        let http = IntegrationHTTP(client: client, logger: logger)
        telegram = TelegramClient(http: http, baseURL: config.telegramAPIURL)
        instagram = InstagramGraphClient(http: http, baseURL: config.graphAPIURL)
        let networks = config.outboundAllowlist.compactMap { CIDR($0) }
        let hosts = config.outboundAllowlist.filter { CIDR($0) == nil }
        let policy = OutboundURLPolicy(
            allowHTTP: config.allowLoopbackOutbound, allowLoopback: config.allowLoopbackOutbound,
            allowedHosts: hosts, allowedNetworks: networks)
        let outbound = OutboundGuard(policy: policy)
        self.outbound = outbound
        let vet: GuardedHTTPFetcher.Vet = { url in
            let vetted = try await outbound.vet(url)
            return VettedTarget(url: vetted.url.string, host: vetted.host, port: vetted.port,
                                pinnedAddress: vetted.address.description)
        }
        fetcher = GuardedHTTPFetcher(eventLoopGroup: eventLoopGroup, vet: vet)
        llmConnector = PinnedLLMConnector(eventLoopGroup: eventLoopGroup, vet: vet, logger: logger)
        publicURL = config.publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// `https://…/hooks/<kind>/<token>`.
    func webhookURL(kind: WebhookKind, token: String) -> String? {
        publicURL.map { "\($0)/hooks/\(kind.rawValue)/\(token)" }
    }
}

extension WorkerSettings {
    /// The settings `SMF_WORKER_CONCURRENCY`, `SMF_JOB_LEASE_SECONDS` and
    /// `SMF_JOB_MAX_ATTEMPTS` give; one claim fills every free slot.
    public init(config: AppConfig) {
        self.init(concurrency: config.workerConcurrency, leaseSeconds: config.jobLeaseSeconds,
                  maxAttempts: config.jobMaxAttempts, batchSize: config.workerConcurrency)
    }
}

extension Application {
    private struct ExecutionKey: StorageKey {
        typealias Value = ExecutionServices
    }

    var execution: ExecutionServices {
        get {
            guard let services = storage[ExecutionKey.self] else {
                // Programming error, not input: configure() always sets it.
                fatalError("configure(_:config:) has not set up the execution services")
            }
            return services
        }
        set { storage[ExecutionKey.self] = newValue }
    }
}
