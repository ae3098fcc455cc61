/// The pods a manifest set runs: each workload's pod spec and containers,
/// with the settings the Kubernetes rules judge.
struct KubernetesWorkload {
    struct Container {
        let name: String
        let node: KubernetesNode
        /// An init container (runs to completion: no probes expected).
        let isInit: Bool
        var securityContext: KubernetesNode? { node["securityContext"] }
        var line: Int? { node["name"]?.line ?? node.line }
    }

    let object: KubernetesManifests.Object
    let podSpec: KubernetesNode
    let containers: [Container]

    static let kinds: Set<String> = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"]
    /// Kinds whose pods are meant to keep running (probes, availability).
    static let longRunning: Set<String> = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"]

    var isLongRunning: Bool { Self.longRunning.contains(object.kind) }
    var podSecurityContext: KubernetesNode? { podSpec["securityContext"] }
    var podLabels: [String: String] {
        switch object.kind {
        case "Pod": object.labels
        case "CronJob": object.spec?["jobTemplate", "spec", "template", "metadata", "labels"]?.stringMap ?? [:]
        default: object.spec?["template", "metadata", "labels"]?.stringMap ?? [:]
        }
    }

    static func all(in manifests: KubernetesManifests) -> [KubernetesWorkload] {
        manifests.objects(of: kinds).compactMap { object in
            let spec: KubernetesNode? = switch object.kind {
            case "Pod": object.spec
            case "CronJob": object.spec?["jobTemplate", "spec", "template", "spec"]
            default: object.spec?["template", "spec"]
            }
            guard let spec else { return nil }
            let containers = (spec["initContainers"]?.items ?? []).map { Container(name: $0["name"]?.string ?? "?", node: $0, isInit: true) }
                + (spec["containers"]?.items ?? []).map { Container(name: $0["name"]?.string ?? "?", node: $0, isInit: false) }
            return KubernetesWorkload(object: object, podSpec: spec, containers: containers)
        }
    }

    func evidence(_ container: Container?, line: Int?, _ detail: String) -> Evidence {
        let subject = container.map { "\(object.reference) container \($0.name)" } ?? object.reference
        return Evidence(file: object.file, line: line ?? container?.line ?? object.line, detail: "\(subject): \(detail)")
    }

    /// A container setting, else the pod's (`runAsUser`, `runAsNonRoot`, `seccompProfile`).
    func effective(_ key: String, _ container: Container) -> KubernetesNode? {
        container.securityContext?[key] ?? podSecurityContext?[key]
    }
}

extension KubernetesManifests.Object {
    func evidence(line: Int? = nil, _ detail: String) -> Evidence {
        Evidence(file: file, line: line ?? self.line, detail: "\(reference): \(detail)")
    }

    /// The namespace the object lands in (`default` when it names none).
    var effectiveNamespace: String { namespace ?? "default" }
}
