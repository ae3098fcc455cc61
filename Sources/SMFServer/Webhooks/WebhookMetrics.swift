import Prometheus

/// Webhook deliveries by endpoint kind and outcome. Labels are fixed values
/// only (kind, outcome): never an endpoint token, id or anything from a body.
final class WebhookMetrics: Sendable {
    private let events: [String: Counter]
    private let refusals: [WebhookKind: Counter]

    init(registry: PrometheusCollectorRegistry) {
        var events: [String: Counter] = [:]
        for kind in WebhookKind.allCases {
            for outcome in ["accepted", "duplicate", "unrouted"] {
                events["\(kind.rawValue) \(outcome)"] = registry.makeCounter(
                    name: "smflow_webhook_events_total", labels: [("kind", kind.rawValue), ("outcome", outcome)],
                    help: "Events received by webhook endpoints: accepted (stored), duplicate (a retry), unrouted (no deployed trigger wanted it).")
            }
        }
        self.events = events
        var refusals: [WebhookKind: Counter] = [:]
        for kind in WebhookKind.allCases {
            refusals[kind] = registry.makeCounter(
                name: "smflow_webhook_refused_total", labels: [("kind", kind.rawValue)],
                help: "Deliveries refused because their signature or secret token did not verify.")
        }
        self.refusals = refusals
    }

    func accepted(kind: WebhookKind, outcome: WebhookIngest.Outcome) {
        add(kind, "accepted", outcome.accepted - outcome.unrouted)
        add(kind, "duplicate", outcome.duplicates)
        add(kind, "unrouted", outcome.unrouted)
    }

    func refused(kind: WebhookKind) {
        refusals[kind]?.increment()
    }

    private func add(_ kind: WebhookKind, _ outcome: String, _ count: Int) {
        guard count > 0 else { return }
        events["\(kind.rawValue) \(outcome)"]?.increment(by: Int64(count))
    }
}
