/// What a compose service is, guessed from its image and name: the reverse
/// proxy may publish ports, a database never should.
enum ComposeServiceRoles {
    static let proxyImages = ["nginx", "traefik", "caddy", "haproxy", "envoy", "openresty", "apache", "httpd"]
    static let databaseImages = ["postgres", "postgis", "mysql", "mariadb", "mongo", "redis", "valkey", "memcached", "elasticsearch", "opensearch", "couchdb", "cassandra", "clickhouse", "timescale"]

    static func isProxy(_ service: ComposeFile.Service) -> Bool {
        matches(service, proxyImages + ["proxy"])
    }

    static func isDatabase(_ service: ComposeFile.Service) -> Bool {
        matches(service, databaseImages + ["db"]) && !isProxy(service)
    }

    /// Runs once and exits (migrations, init jobs): no restart policy or health check needed.
    static func isOneShot(_ service: ComposeFile.Service) -> Bool {
        service.restart == "no" || service.restart == "on-failure"
    }

    private static func matches(_ service: ComposeFile.Service, _ words: [String]) -> Bool {
        let image = service.image.map { ImageReference($0.value).shortName } ?? ""
        let name = service.name.lowercased()
        return words.contains { word in image.hasPrefix(word) || name == word || name.hasPrefix(word + "-") || name.hasPrefix(word + "_") || name.hasSuffix("-" + word) || name.hasSuffix("_" + word) }
    }

    /// The host address a published port binds to (`127.0.0.1:5432:5432` → 127.0.0.1).
    static func hostAddress(of port: String) -> String? {
        let parts = port.split(separator: ":", omittingEmptySubsequences: false)
        if port.hasPrefix("[") , let close = port.firstIndex(of: "]") { return String(port[port.index(after: port.startIndex)..<close]) }
        return parts.count == 3 ? String(parts[0]) : nil
    }

    static func isLoopback(_ address: String?) -> Bool {
        guard let address else { return false }
        return address.hasPrefix("127.") || address == "::1" || address == "localhost"
    }
}
