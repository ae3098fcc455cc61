import NIOCore
import SMFSecurity
import Vapor

/// What `configure` attaches to the application: the validated config and
/// the services built from it. Stored once at configuration time and only
/// read afterwards.
struct AppContext: Sendable {
    let config: AppConfig
    let clientIPResolver: ClientIPResolver
    let metrics: HTTPMetrics
    let readiness: ReadinessProbe
    let clock: AppClock
    let hasher: PasswordHasher
    let events: SecurityEventRecorder
    let usage: UsageAnomalyReporter
    /// Stored token hashes under the secret-key ring (issue 9).
    let tokens: TokenHashing
}

extension Application {
    private struct ContextKey: StorageKey {
        typealias Value = AppContext
    }

    var smf: AppContext {
        get {
            guard let context = storage[ContextKey.self] else {
                // Programming error, not input: configure() always sets it.
                fatalError("configure(_:config:) has not been called on this Application")
            }
            return context
        }
        set { storage[ContextKey.self] = newValue }
    }
}

extension Request {
    private struct RequestIDKey: StorageKey {
        typealias Value = String
    }

    private struct ClientIPKey: StorageKey {
        typealias Value = ClientAddress
    }

    private struct ClientAddress: Sendable {
        let ip: IPAddress?
        let text: String
    }

    /// The request id set by the request pipeline (`RequestID`; Vapor's own id before it runs).
    public var requestID: String {
        get { storage[RequestIDKey.self] ?? id }
        set { storage[RequestIDKey.self] = newValue }
    }

    /// The client's address: the TCP peer, or the forwarded client when the
    /// peer is a trusted proxy. Computed once per request.
    public var clientIP: IPAddress? { clientAddressOnce.ip }

    /// `clientIP` as text for logs, events and keys; `unknown` when there is
    /// no peer address (in-process tests).
    public var clientAddress: String { clientAddressOnce.text }

    private var clientAddressOnce: ClientAddress {
        if let cached = storage[ClientIPKey.self] { return cached }
        let resolved = application.smf.clientIPResolver.clientIP(
            peer: remoteAddress.flatMap(Self.peerIP), forwardedFor: headers[.xForwardedFor])
        let address = ClientAddress(ip: resolved, text: resolved?.description ?? "unknown")
        storage[ClientIPKey.self] = address
        return address
    }

    /// The peer's address straight from the socket address bytes (no
    /// inet_ntop/inet_pton round trip through text).
    private static func peerIP(_ address: SocketAddress) -> IPAddress? {
        switch address {
        case .v4(let v4):
            return withUnsafeBytes(of: v4.address.sin_addr) { IPAddress(bytes: Array($0)) }
        case .v6(let v6):
            return withUnsafeBytes(of: v6.address.sin6_addr) { IPAddress(bytes: Array($0)) }
        case .unixDomainSocket:
            return nil
        }
    }
}
