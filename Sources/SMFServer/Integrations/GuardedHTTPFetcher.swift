import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// A URL the SSRF policy accepted, and the address it resolved and checked.
/// The fetcher connects to `pinnedAddress` only, so a second DNS answer
/// (rebinding) cannot move the request to an internal address.
public struct VettedTarget: Sendable, Equatable {
    /// The URL to request (the policy may have normalised it).
    public var url: String
    /// The URL's host as AsyncHTTPClient sees it (no IPv6 brackets).
    public var host: String
    public var port: Int
    /// The checked IP address the connection must go to.
    public var pinnedAddress: String

    public init(url: String, host: String, port: Int, pinnedAddress: String) {
        self.url = url
        self.host = host
        self.port = port
        self.pinnedAddress = pinnedAddress
    }
}

/// The `http.request` node's HTTP: every hop vetted, pinned, bounded.
///
/// Redirects are never followed by AsyncHTTPClient (it would resolve and
/// connect to the next host unchecked); this type follows up to
/// `maxRedirects` itself, vetting each `Location`. Each hop runs on a
/// short-lived client whose `dnsOverride` maps the host to the vetted address,
/// so TLS still uses the host name for SNI and certificate checks.
public struct GuardedHTTPFetcher: Sendable {
    /// Checks a URL (scheme, allowlist, resolved address ranges) and returns
    /// the address to pin, or throws the policy's refusal (rethrown as is).
    public typealias Vet = @Sendable (String) async throws -> VettedTarget

    /// What the node asks for.
    public struct Request: Sendable {
        public var method: HTTPMethod
        public var url: String
        public var headers: HTTPHeaders
        public var body: ByteBuffer?
        /// Headers (besides `Authorization`, `Cookie`, `Proxy-Authorization`)
        /// dropped when a redirect leaves the origin, e.g. an `http.header`
        /// credential's header.
        public var sensitiveHeaderNames: Set<String>

        public init(method: HTTPMethod = .GET, url: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil,
                    sensitiveHeaderNames: Set<String> = []) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
            self.sensitiveHeaderNames = sensitiveHeaderNames
        }
    }

    /// The final answer after redirects.
    public struct Response: Sendable {
        public var status: HTTPResponseStatus
        public var headers: HTTPHeaders
        public var body: ByteBuffer
        /// The URL that gave this answer.
        public var finalURL: String
        /// How many redirects were followed.
        public var redirects: Int
    }

    public let eventLoopGroup: any EventLoopGroup
    public let vet: Vet
    public var maxRedirects: Int
    /// Deadline for the whole fetch, all hops included.
    public var timeout: Duration
    public var connectTimeout: Duration
    public var maxResponseBytes: Int
    /// Extra TLS settings (tests trust their own CA); nil = system defaults.
    public var tlsConfiguration: TLSConfiguration?

    public init(
        eventLoopGroup: any EventLoopGroup = HTTPClient.defaultEventLoopGroup,
        vet: @escaping Vet,
        maxRedirects: Int = 3,
        timeout: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(10),
        maxResponseBytes: Int = IntegrationHTTP.defaultMaxResponseBytes,
        tlsConfiguration: TLSConfiguration? = nil
    ) {
        self.eventLoopGroup = eventLoopGroup
        self.vet = vet
        self.maxRedirects = maxRedirects
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
        self.tlsConfiguration = tlsConfiguration
    }

    /// Performs `request`, following redirects. Throws the vet closure's
    /// error when a hop is refused, `IntegrationError` otherwise.
    public func fetch(_ request: Request, logger: Logger? = nil) async throws -> Response {
        let deadline = ContinuousClock.now + timeout
        var current = request
        var redirects = 0
        while true {
            let target = try await vet(current.url)
            let hop = try await fetchPinned(current, target: target, until: deadline)
            logger?.debug("http.request hop answered", metadata: [
                "status": .stringConvertible(hop.status.code), "redirects": .stringConvertible(redirects),
            ])
            guard let location = Self.redirectLocation(hop), let next = Self.resolve(location, against: target.url) else {
                return Response(status: hop.status, headers: hop.headers, body: hop.body,
                                finalURL: target.url, redirects: redirects)
            }
            guard redirects < maxRedirects else {
                throw IntegrationError.tooManyRedirects
            }
            redirects += 1
            current = Self.redirected(current, from: target.url, to: next, status: hop.status)
        }
    }

    /// One hop on a client pinned to the vetted address.
    private func fetchPinned(_ request: Request, target: VettedTarget, until deadline: ContinuousClock.Instant)
        async throws -> IntegrationResponse
    {
        guard let url = URL(string: target.url), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https",
              let host = PinnedHTTPClient.lookupHost(of: url)
        else {
            throw IntegrationError.invalidRequest(reason: "only http and https URLs can be fetched")
        }
        // The override is looked up with the host exactly as AsyncHTTPClient
        // reads it; if the policy vetted another host the pin would not apply
        // and the name would be resolved again, so refuse.
        guard host.lowercased() == target.host.lowercased(), !target.pinnedAddress.isEmpty,
              (url.port ?? (scheme == "https" ? 443 : 80)) == target.port
        else {
            throw IntegrationError.invalidRequest(reason: "the vetted target does not match the URL")
        }
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { throw IntegrationError.timeout }

        let outgoing = IntegrationRequest(
            method: request.method, url: target.url, headers: Self.forwardable(request.headers), body: request.body)
        return try await PinnedHTTPClient.with(
            host: host, pinnedTo: target.pinnedAddress, connectTimeout: min(connectTimeout, remaining),
            tlsConfiguration: tlsConfiguration, eventLoopGroup: eventLoopGroup
        ) { client in
            try await IntegrationHTTP.perform(client: client, request: outgoing, timeout: remaining, maxResponseBytes: maxResponseBytes)
        }
    }

    /// Headers the transport sets itself are not taken from the node.
    static func forwardable(_ headers: HTTPHeaders) -> HTTPHeaders {
        let owned: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "upgrade", "te",
                                  "keep-alive", "proxy-connection", "trailer"]
        var result = HTTPHeaders()
        for (name, value) in headers where !owned.contains(name.lowercased()) {
            result.add(name: name, value: value)
        }
        return result
    }

    static func redirectLocation(_ response: IntegrationResponse) -> String? {
        guard [301, 302, 303, 307, 308].contains(response.status.code) else { return nil }
        return response.headers.first(name: "location")
    }

    static func resolve(_ location: String, against base: String) -> String? {
        guard let baseURL = URL(string: base), let next = URL(string: location, relativeTo: baseURL) else { return nil }
        return next.absoluteURL.absoluteString
    }

    /// The next hop's request: 303 (and 301/302 after a POST, as browsers
    /// do) become a GET without a body; leaving the origin drops credentials.
    static func redirected(_ request: Request, from: String, to next: String, status: HTTPResponseStatus) -> Request {
        var result = request
        result.url = next
        if status.code == 303 || ((status.code == 301 || status.code == 302) && request.method == .POST) {
            if request.method != .HEAD { result.method = .GET }
            result.body = nil
            result.headers.remove(name: "content-type")
        }
        if !sameOrigin(from, next) {
            let sensitive = Set(["authorization", "cookie", "proxy-authorization"])
                .union(request.sensitiveHeaderNames.map { $0.lowercased() })
            for name in sensitive {
                result.headers.remove(name: name)
            }
        }
        return result
    }

    static func sameOrigin(_ lhs: String, _ rhs: String) -> Bool {
        guard let a = URL(string: lhs), let b = URL(string: rhs) else { return false }
        func port(_ url: URL) -> Int? { url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80) }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased()
            && port(a) == port(b)
    }
}
