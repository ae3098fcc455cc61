import Foundation

/// The deployment `--url` names, and how to reach it. Every probe goes to
/// this scheme/host/port only (the http:// variant on the same host for the
/// redirect check); nothing follows a redirect to another host.
struct LiveTarget: Sendable {
    let scheme: String
    let host: String
    let port: Int
    /// The URL's path without a trailing slash ("" for the root).
    let basePath: String
    /// Connect here instead of resolving `host` (`--address`); the Host header
    /// and the TLS server name stay `host`.
    let address: String?
    /// Extra CA certificates to trust (`--cacert`), for private CAs.
    let caFile: String?
    /// Seconds each probe may take (`--timeout`).
    let timeout: Double

    init?(url: String, address: String?, caFile: String?, timeout: Double) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
        self.address = address
        self.caFile = caFile
        self.timeout = timeout
    }

    private init(scheme: String, host: String, port: Int, basePath: String, address: String?, caFile: String?, timeout: Double) {
        (self.scheme, self.host, self.port, self.basePath) = (scheme, host, port, basePath)
        (self.address, self.caFile, self.timeout) = (address, caFile, timeout)
    }

    var isHTTPS: Bool { scheme == "https" }

    /// host:port as written in a URL (IPv6 in brackets).
    var authority: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return "\(name):\(port)"
    }

    /// An absolute URL for `path` (which starts with "/") on this origin.
    func url(_ path: String) -> String { "\(scheme)://\(authority)\(path)" }

    /// The same host with another scheme and port: the http:// variant for
    /// the redirect check, or the https:// origin an http URL redirected to.
    func with(scheme: String, port: Int) -> LiveTarget {
        LiveTarget(scheme: scheme, host: host, port: port, basePath: basePath, address: address, caFile: caFile, timeout: timeout)
    }

    /// Where to open TCP connections (for openssl).
    var connectAddress: String {
        let name = address ?? host
        return name.contains(":") ? "[\(name)]:\(port)" : "\(name):\(port)"
    }
}
