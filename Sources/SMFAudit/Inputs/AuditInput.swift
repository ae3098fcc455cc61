/// The kinds of input a check can read. Each maps to the command-line flag
/// that provides it, so an `n/a` result can say which flag is missing.
public enum AuditInput: String, Sendable, CaseIterable, Hashable {
    case env, compose, docker, nginx, repo
    /// Rendered Kubernetes manifests (`--kubernetes`).
    case kubernetes
    /// A running deployment over HTTP(S) (`--url`).
    case live
    /// A PostgreSQL connection (`--database-url`): database and product (app) checks.
    case database
    /// The machine the audit runs on (`--host`).
    case host
    /// Nothing a program can read: a person decides.
    case person

    public var flag: String {
        switch self {
        case .env: "--env FILE"
        case .compose: "--compose FILE"
        case .docker: "--dockerfile FILE"
        case .nginx: "--nginx FILE"
        case .repo: "--repo DIR"
        case .kubernetes: "--kubernetes DIR|FILE"
        case .live: "--url URL"
        case .database: "--database-url URL"
        case .host: "--host"
        case .person: "a person"
        }
    }
}
