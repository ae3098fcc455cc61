import Foundation

/// What an ingress-nginx Ingress adds in front of the app: rate limits
/// (`limit-rps`/`limit-rpm`/`limit-connections`) and the security headers of
/// its `custom-headers` ConfigMap. Other controllers' Ingresses (another
/// `ingressClassName`, no nginx annotation) are not judged.
enum KubernetesIngressRules {
    static let prefix = "nginx.ingress.kubernetes.io/"
    static let rateKeys = ["app.rate-limiting", "mistake.no-rate-limiting"]
    static let headerKeys = ["app.security-headers", "mistake.missing-headers"]
    /// The headers the checklist names (HSTS, CSP, X-Frame-Options) and nosniff.
    static let requiredHeaders = ["Strict-Transport-Security", "Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"]

    static func findings(_ manifests: KubernetesManifests) -> [Finding] {
        var findings: [Finding] = []
        for ingress in manifests.objects(of: ["Ingress"]) where isNginx(ingress) {
            let annotations = ingress.annotations
            let annotationsLine = ingress.metadata?["annotations"]?.line ?? ingress.line
            let limits = ["limit-rps", "limit-rpm", "limit-connections"].filter { annotations[prefix + $0] != nil }
            if limits.isEmpty {
                findings += Finding.each(rateKeys) {
                    .warn($0, .medium, ingress.evidence(line: annotationsLine, "no limit-rps/limit-rpm/limit-connections annotation: the controller passes floods through to the app"),
                          fix: "Add nginx.ingress.kubernetes.io/limit-rps (and limit-rpm on sign-in paths) to the Ingress.")
                }
            } else {
                let line = ingress.metadata?["annotations"]?[prefix + limits[0]]?.line
                findings += Finding.each(rateKeys) { .pass($0, ingress.evidence(line: line, limits.map { "\($0): \(annotations[prefix + $0] ?? "")" }.joined(separator: ", "))) }
            }
            findings += headers(ingress, manifests)
        }
        return findings
    }

    static func isNginx(_ ingress: KubernetesManifests.Object) -> Bool {
        let className = ingress.spec?["ingressClassName"]?.string ?? ingress.annotations["kubernetes.io/ingress.class"]
        if let className { return className.contains("nginx") }
        return ingress.annotations.keys.contains { $0.hasPrefix(prefix) }
    }

    static func headers(_ ingress: KubernetesManifests.Object, _ manifests: KubernetesManifests) -> [Finding] {
        let node = ingress.metadata?["annotations"]?[prefix + "custom-headers"]
        guard let reference = node?.string, !reference.isEmpty else {
            return Finding.each(headerKeys) {
                .warn($0, .low, ingress.evidence(line: ingress.metadata?["annotations"]?.line ?? ingress.line, "no custom-headers annotation: the security headers come only from the app (or the controller's ConfigMap, not in these manifests)"),
                      fix: "Add nginx.ingress.kubernetes.io/custom-headers naming a ConfigMap with HSTS, CSP, X-Frame-Options and X-Content-Type-Options (and allow them in the controller's global-allowed-response-headers).")
            }
        }
        let parts = reference.split(separator: "/", maxSplits: 1).map(String.init)
        let (namespace, name) = parts.count == 2 ? (parts[0], parts[1]) : (ingress.effectiveNamespace, parts[0])
        guard let configMap = manifests.objects(of: ["ConfigMap"]).first(where: { $0.name == name && $0.effectiveNamespace == namespace }) else {
            return Finding.each(headerKeys) {
                .warn($0, .low, ingress.evidence(line: node?.line, "custom-headers names ConfigMap \(namespace)/\(name), which is not in these manifests"),
                      fix: "Audit the manifests together with the headers ConfigMap.")
            }
        }
        let data = configMap.root["data"]
        let present = Set((data?.entries ?? []).map { $0.key.lowercased() })
        let missing = requiredHeaders.filter { !present.contains($0.lowercased()) }
        if !missing.isEmpty {
            return Finding.each(headerKeys) {
                .fail($0, .medium, configMap.evidence(line: data?.line, "headers of Ingress \(ingress.name) lack \(missing.joined(separator: ", "))"),
                      fix: "Add the missing headers to the custom-headers ConfigMap.")
            }
        }
        var findings: [Finding] = []
        let hsts = data?["Strict-Transport-Security"] ?? data?.entries.first { $0.key.lowercased() == "strict-transport-security" }?.value
        let maxAge = hsts?.string.flatMap(Self.maxAge) ?? 0
        if maxAge < 15_552_000 {
            findings += Finding.each(headerKeys) {
                .warn($0, .low, configMap.evidence(line: hsts?.line, "Strict-Transport-Security max-age \(maxAge) s is under 180 days"), fix: "Use max-age=63072000 (two years).")
            }
        }
        let csp = data?.entries.first { $0.key.lowercased() == "content-security-policy" }?.value
        if let policy = csp?.string, policy.contains("'unsafe-inline'") || policy.contains("'unsafe-eval'") {
            findings += Finding.each(headerKeys) {
                .fail($0, .medium, configMap.evidence(line: csp?.line, "Content-Security-Policy allows 'unsafe-inline' or 'unsafe-eval'"), fix: "Drop 'unsafe-inline' and 'unsafe-eval' from the policy.")
            }
        }
        if findings.isEmpty {
            findings += Finding.each(headerKeys) { .pass($0, configMap.evidence(line: data?.line, "headers of Ingress \(ingress.name): \(requiredHeaders.joined(separator: ", "))")) }
        }
        return findings
    }

    static func maxAge(_ value: String) -> Int? {
        for part in value.split(separator: ";") {
            let item = part.trimmingCharacters(in: .whitespaces).lowercased()
            if item.hasPrefix("max-age=") { return Int(item.dropFirst("max-age=".count)) }
        }
        return nil
    }
}
