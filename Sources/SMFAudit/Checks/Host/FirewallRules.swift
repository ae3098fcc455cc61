/// A host firewall ruleset: `nft list ruleset`, else `iptables -S`, both
/// read-only. Listing needs root (CAP_NET_ADMIN); without it the key is
/// manual with the commands to run.
enum FirewallRules {
    static let key = "network.firewall"
    static let manualSteps = "As root, run `nft list ruleset` (or `iptables -S` and `ip6tables -S`) and check that the input policy drops everything but 80/443 and SSH/WireGuard from the admin networks (deploy/firewall/nftables.conf)."

    /// Findings from `nft list ruleset` output.
    static func nftables(_ ruleset: String) -> Finding {
        let evidence = { (detail: String) in Evidence(detail: "nft list ruleset: \(detail)") }
        guard ruleset.contains("table ") else {
            return .fail(key, .high, evidence("empty ruleset"), fix: "Load a ruleset that drops by default (deploy/firewall/nftables.conf: `nft -f`, enable nftables.service).")
        }
        let inputDrops = ruleset.range(of: #"hook input priority [^;]+; policy drop"#, options: .regularExpression) != nil
        if inputDrops {
            return .pass(key, evidence("an input chain with policy drop"))
        }
        return .warn(key, .medium, evidence("rules present, but no input chain with policy drop"),
                     fix: "Make the input chain's policy drop and allow only what is needed (deploy/firewall/nftables.conf).")
    }

    /// Findings from `iptables -S` output.
    static func iptables(_ rules: String) -> Finding {
        let lines = rules.split(separator: "\n").map(String.init)
        if lines.contains("-P INPUT DROP") {
            return .pass(key, Evidence(detail: "iptables -S: INPUT policy DROP"))
        }
        let appended = lines.filter { $0.hasPrefix("-A INPUT") && ($0.contains("-j DROP") || $0.contains("-j REJECT")) }
        if !appended.isEmpty {
            return .warn(key, .low, Evidence(detail: "iptables -S: INPUT policy ACCEPT with \(appended.count) DROP/REJECT rule(s)"),
                         fix: "Prefer a default-drop input policy (deploy/firewall/nftables.conf).")
        }
        return .fail(key, .high, Evidence(detail: "iptables -S: INPUT accepts everything"),
                     fix: "Load a default-drop ruleset (deploy/firewall/nftables.conf).")
    }
}
