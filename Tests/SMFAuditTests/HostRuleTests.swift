import Testing
@testable import SMFAudit

/// The host checks over fixture text: /proc/net/tcp(6) lines and firewall listings.
@Suite struct HostRuleTests {
    static let tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
           1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
           2: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 0
           3: 0A00000A:01BB 0200000A:C350 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 100 0 0 10 0
        """
    static let tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue
           0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000
           1: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000
           2: 0000000000000000FFFF00000100007F:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000
           3: B80D0120000000000000000001000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000
        """

    @Test func parses_ipv4_and_ipv6_listeners_and_skips_other_states() {
        let v4 = ProcNetTCP.listening(Self.tcp, ipv6: false)
        #expect(v4 == [ListeningSocket(address: "127.0.0.1", port: 8080, ipv6: false),
                       ListeningSocket(address: "0.0.0.0", port: 80, ipv6: false),
                       ListeningSocket(address: "0.0.0.0", port: 5432, ipv6: false)])
        let v6 = ProcNetTCP.listening(Self.tcp6, ipv6: true)
        #expect(v6.map(\.address) == ["::1", "::", "::ffff:127.0.0.1", "2001:db8::1"])
        #expect(v6.map(\.port) == [22, 443, 8081, 3000])
        #expect(v6.map(\.isLoopback) == [true, false, true, false])
    }

    @Test func public_database_and_other_ports_fail_and_loopback_passes() {
        let sockets = ProcNetTCP.listening(Self.tcp, ipv6: false) + ProcNetTCP.listening(Self.tcp6, ipv6: true)
        let findings = HostSocketRules.findings(sockets)
        #expect(findings.first { $0.key == "db.not-exposed" }?.status == .fail)
        let exposed = findings.first { $0.key == "network.only-proxy-exposed" }
        #expect(exposed?.status == .fail)
        #expect(exposed?.evidence.detail.contains("0.0.0.0:5432") == true)
        #expect(exposed?.evidence.detail.contains("[2001:db8::1]:3000") == true)
        #expect(exposed?.evidence.detail.contains("8080") == false, "loopback is not exposed")

        let proxyOnly = HostSocketRules.findings([ListeningSocket(address: "0.0.0.0", port: 443, ipv6: false),
                                                  ListeningSocket(address: "127.0.0.1", port: 5432, ipv6: false)])
        #expect(proxyOnly.allSatisfy { $0.status == .pass }, "\(proxyOnly)")
    }

    @Test func firewall_listings() {
        #expect(FirewallRules.nftables("").status == .fail)
        #expect(FirewallRules.nftables("table inet filter {\n chain input {\n type filter hook input priority filter; policy drop;\n }\n}").status == .pass)
        #expect(FirewallRules.nftables("table inet filter {\n chain input {\n type filter hook input priority filter; policy accept;\n }\n}").status == .warn)
        #expect(FirewallRules.iptables("-P INPUT DROP\n-P FORWARD DROP\n-P OUTPUT ACCEPT").status == .pass)
        #expect(FirewallRules.iptables("-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT").status == .fail)
        #expect(FirewallRules.iptables("-P INPUT ACCEPT\n-A INPUT -p tcp --dport 5432 -j DROP").status == .warn)
    }
}
