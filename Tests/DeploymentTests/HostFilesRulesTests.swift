import Foundation
import Testing

/// The shipped files that configure things outside the containers, read as
/// text: the host firewall (network.firewall), the WireGuard examples
/// (network.admin-private) and PostgreSQL's client authentication
/// (db.not-exposed, db.least-privilege). None of them can run without a
/// Docker engine or root on a real host, so these rules are their check.
@Suite struct HostFilesRulesTests {
    /// Lines without comments or surrounding blanks.
    static func lines(_ path: String) throws -> [String] {
        try RepositoryFiles.text(path).split(separator: "\n").compactMap { line in
            let code = (line.firstIndex(of: "#").map { line[..<$0] } ?? line[...]).trimmingCharacters(in: .whitespaces)
            return code.isEmpty ? nil : code
        }
    }

    @Test func firewall_drops_by_default_for_ipv4_and_ipv6() throws {
        let rules = try Self.lines("deploy/firewall/nftables.conf")
        #expect(rules.contains("table inet filter {"), "one inet table covers IPv4 and IPv6")
        #expect(rules.contains("type filter hook input priority filter; policy drop;"))
        #expect(rules.contains("type filter hook forward priority filter; policy drop;"))
        // The input chain ends in an explicit drop (after the logging rule).
        let input = rules.drop { $0 != "chain input {" }.prefix { $0 != "}" }
        #expect(input.last == "drop", "\(Array(input))")
    }

    @Test func firewall_opens_only_80_and_443_to_everyone() throws {
        let rules = try Self.lines("deploy/firewall/nftables.conf")
        let open = rules.filter { $0.hasSuffix("accept") && $0.contains("dport") && !$0.contains("saddr") && !$0.contains("iifname") }
        #expect(open == ["tcp dport { 80, 443 } accept"], "\(open)")
    }

    @Test func firewall_allows_ssh_and_wireguard_only_from_admin_networks() throws {
        let rules = try Self.lines("deploy/firewall/nftables.conf")
        for port in ["tcp dport 22", "udp dport 51820"] {
            let matching = rules.filter { $0.contains(port) }
            #expect(!matching.isEmpty)
            for rule in matching {
                #expect(rule.contains("saddr @admin_v") || rule.hasPrefix("iifname \"wg0\""), "\(rule) is open to everyone")
            }
            #expect(matching.contains { $0.hasPrefix("ip saddr @admin_v4") } && matching.contains { $0.hasPrefix("ip6 saddr @admin_v6") },
                    "\(port) for both address families")
        }
    }

    @Test func wireguard_examples_hold_no_key_and_split_tunnel_the_admin_network() throws {
        for path in ["deploy/vpn/wg0.conf.example", "deploy/vpn/admin-peer.conf.example"] {
            let lines = try Self.lines(path)
            for key in lines where key.hasPrefix("PrivateKey") || key.hasPrefix("PublicKey") {
                #expect(key.contains("CHANGE-ME"), "\(path) holds a real key: \(key)")
            }
        }
        let peer = try Self.lines("deploy/vpn/admin-peer.conf.example")
        #expect(peer.contains("AllowedIPs = 10.8.0.0/24"), "only the admin network goes through the tunnel")
        let allowList = try RepositoryFiles.text("deploy/nginx/snippets/admin-networks.conf")
        #expect(allowList.contains("allow 10.8.0.0/24;"), "nginx admits the same network")
    }

    @Test func pg_hba_uses_scram_only_and_keeps_the_superuser_off_the_network() throws {
        let entries = try Self.lines("deploy/postgres/pg_hba.conf").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(!entries.isEmpty)
        for entry in entries {
            let method = entry.last ?? ""
            #expect(method == "scram-sha-256" || method == "reject", "\(entry) uses \(method)")
        }
        let networkAccepts = entries.filter { $0.first == "host" && $0.last == "scram-sha-256" }
        #expect(networkAccepts.map { $0[2] } == ["smflow_owner,smflow_app"], "only the smflow roles over the network")
        #expect(networkAccepts.allSatisfy { $0[3] == "172.30.10.0/24" }, "only from the internal network")
        #expect(entries.suffix(2).map { $0.last } == ["reject", "reject"], "everything else refused, IPv4 and IPv6")
        let compose = try ComposeFile.shipped()
        #expect(compose.networks["internal"].flatMap { "\($0)" }?.contains("172.30.10.0/24") == true,
                "pg_hba's network is the compose internal network")
    }
}
