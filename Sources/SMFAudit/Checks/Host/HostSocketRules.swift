/// Listening sockets on addresses other machines can reach: only the proxy
/// (80, 443) and SSH (22) may be there, and never the database (5432).
enum HostSocketRules {
    static let keys: Set<String> = ["network.only-proxy-exposed", "mistake.exposed-internal-services", "db.not-exposed"]
    static let allowedPorts: Set<Int> = [22, 80, 443]
    static let databasePorts: [Int: String] = [5432: "PostgreSQL", 3306: "MySQL/MariaDB", 27017: "MongoDB", 6379: "Redis"]

    static func findings(_ sockets: [ListeningSocket]) -> [Finding] {
        let exposed = Array(Set(sockets.filter { !$0.isLoopback })).sorted { ($0.port, $0.address) < ($1.port, $1.address) }
        let source = "/proc/net/tcp, /proc/net/tcp6"
        var findings: [Finding] = []
        let unexpected = exposed.filter { !allowedPorts.contains($0.port) }
        if unexpected.isEmpty {
            let seen = exposed.map(\.label).joined(separator: ", ")
            findings += Finding.each(["network.only-proxy-exposed", "mistake.exposed-internal-services"]) {
                .pass($0, Evidence(detail: "\(source): non-loopback listeners: \(seen.isEmpty ? "none" : seen) (only 22/80/443)"))
            }
        } else {
            findings += Finding.each(["network.only-proxy-exposed", "mistake.exposed-internal-services"]) {
                .fail($0, .high, Evidence(detail: "\(source): listening beyond loopback on other ports than 22/80/443: \(unexpected.map(\.label).joined(separator: ", "))"),
                      fix: "Bind internal services to 127.0.0.1 or a container network, publish only the proxy; the firewall must drop the rest.")
            }
        }
        let databases = exposed.filter { databasePorts[$0.port] != nil }
        if databases.isEmpty {
            findings.append(.pass("db.not-exposed", Evidence(detail: "\(source): no database port (5432, 3306, 27017, 6379) listening beyond loopback")))
        } else {
            findings.append(.fail("db.not-exposed", .critical,
                                  Evidence(file: source, detail: databases.map { "\(databasePorts[$0.port] ?? "database") on \($0.label)" }.joined(separator: ", ")),
                                  fix: "Listen on loopback or the internal container network only (listen_addresses, no compose ports:)."))
        }
        return findings
    }
}
