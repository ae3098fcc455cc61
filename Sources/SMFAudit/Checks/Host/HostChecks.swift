import Foundation

/// This machine (`--host`), read-only: listening sockets beyond loopback and
/// the firewall ruleset. Run it on the deployment host itself.
struct HostChecks: AuditCheck {
    let name = "host"
    let input = AuditInput.host
    let keys: Set<String> = HostSocketRules.keys.union([FirewallRules.key])

    func run(in context: AuditContext) -> [Finding] {
        guard context.request.host else { return [] }
        return sockets() + [firewall(timeout: context.request.timeoutSeconds)]
    }

    private func sockets() -> [Finding] {
        let tcp = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)
        let tcp6 = try? String(contentsOfFile: "/proc/net/tcp6", encoding: .utf8)
        guard tcp != nil || tcp6 != nil else {
            return HostSocketRules.keys.sorted().map { Finding.notApplicable($0, "/proc/net/tcp is not readable (not Linux?): listening sockets not checked") }
        }
        return HostSocketRules.findings(ProcNetTCP.listening(tcp ?? "", ipv6: false) + ProcNetTCP.listening(tcp6 ?? "", ipv6: true))
    }

    private func firewall(timeout: Double) -> Finding {
        var tried: [String] = []
        if let nft = Subprocess.find("nft") {
            if let output = Subprocess.run(nft, ["list", "ruleset"], timeout: timeout), output.status == 0, !output.timedOut {
                return FirewallRules.nftables(output.stdout)
            }
            tried.append("nft list ruleset not permitted (needs root)")
        }
        if let iptables = Subprocess.find("iptables") {
            if let output = Subprocess.run(iptables, ["-S"], timeout: timeout), output.status == 0, !output.timedOut {
                return FirewallRules.iptables(output.stdout)
            }
            tried.append("iptables -S not permitted (needs root)")
        }
        let why = tried.isEmpty ? "neither nft nor iptables is installed" : tried.joined(separator: "; ")
        return Finding(key: FirewallRules.key, status: .manual, severity: .medium, evidence: Evidence(detail: why), remediation: FirewallRules.manualSteps)
    }
}
