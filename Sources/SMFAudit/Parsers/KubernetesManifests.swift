import Foundation
import Yams

/// A YAML value of a Kubernetes manifest with the line it starts on, kept
/// as plain Sendable data (the checks never see Yams types).
public struct KubernetesNode: Sendable {
    public enum Value: Sendable {
        case scalar(String)
        case mapping([(key: String, value: KubernetesNode)])
        case sequence([KubernetesNode])
    }

    public let value: Value
    public let line: Int?

    public subscript(_ key: String) -> KubernetesNode? {
        guard case .mapping(let entries) = value else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// Follows `path` through mappings (`node["spec", "template", "spec"]`).
    public subscript(_ first: String, _ rest: String...) -> KubernetesNode? {
        rest.reduce(self[first]) { node, key in node?[key] }
    }

    public var string: String? {
        guard case .scalar(let text) = value else { return nil }
        return text
    }

    /// `true`/`false` as YAML 1.1 and 1.2 spell them; nil for anything else.
    public var bool: Bool? {
        switch string?.lowercased() {
        case "true", "yes", "on": true
        case "false", "no", "off": false
        default: nil
        }
    }

    public var int: Int? { string.flatMap { Int($0) } }

    public var items: [KubernetesNode] {
        guard case .sequence(let nodes) = value else { return [] }
        return nodes
    }

    public var entries: [(key: String, value: KubernetesNode)] {
        guard case .mapping(let entries) = value else { return [] }
        return entries
    }

    /// A mapping of strings (labels, annotations, selectors).
    public var stringMap: [String: String] {
        var map: [String: String] = [:]
        for entry in entries { if let text = entry.value.string { map[entry.key] = text } }
        return map
    }

    public var isEmptyCollection: Bool {
        switch value {
        case .scalar(let text): text.isEmpty || text == "null" || text == "~"
        case .mapping(let entries): entries.isEmpty
        case .sequence(let nodes): nodes.isEmpty
        }
    }

    /// - Parameter keyLine: for a mapping's value, the line of its key, so a
    ///   block (`resources:`) points at where it is named, not at its first entry.
    init(_ node: Node, keyLine: Int? = nil) {
        line = keyLine ?? node.mark?.line
        switch node {
        case .scalar(let scalar):
            value = .scalar(scalar.string)
        case .mapping(let mapping):
            value = .mapping(mapping.map { (key: $0.key.string ?? "", value: KubernetesNode($0.value, keyLine: $0.key.mark?.line)) })
        case .sequence(let sequence):
            value = .sequence(sequence.map { KubernetesNode($0) })
        case .alias:
            value = .scalar("")
        }
    }
}

/// Rendered Kubernetes manifests (`kubectl kustomize` output, or a
/// directory of plain manifests): every object of every YAML document, with
/// the file and line it was read from.
public struct KubernetesManifests: Sendable {
    public struct Object: Sendable {
        public let file: String
        public let apiVersion: String
        public let kind: String
        public let name: String
        /// metadata.namespace; nil for cluster-scoped objects and for objects
        /// that leave it to `kubectl apply -n`.
        public let namespace: String?
        public let root: KubernetesNode

        /// The line of `kind:`, else of the document.
        public var line: Int? { root["kind"]?.line ?? root.line }
        public var metadata: KubernetesNode? { root["metadata"] }
        public var spec: KubernetesNode? { root["spec"] }
        public var labels: [String: String] { metadata?["labels"]?.stringMap ?? [:] }
        public var annotations: [String: String] { metadata?["annotations"]?.stringMap ?? [:] }
        /// `Kind namespace/name` for evidence.
        public var reference: String { "\(kind) \(namespace.map { "\($0)/" } ?? "")\(name)" }
    }

    public let files: [String]
    public let objects: [Object]

    public init(files: [String], objects: [Object]) {
        self.files = files
        self.objects = objects
    }

    public func objects(of kinds: Set<String>) -> [Object] { objects.filter { kinds.contains($0.kind) } }

    /// Reads every path: a file, or a directory whose `*.yaml`/`*.yml` files
    /// are read in name order (kustomization files skipped: they are not
    /// objects).
    /// - Throws: `AuditInputError` naming the path that cannot be read or parsed.
    public static func load(_ paths: [String]) throws(AuditInputError) -> KubernetesManifests {
        var files: [String] = []
        for path in paths { files += try manifestFiles(at: path) }
        var objects: [Object] = []
        for file in files {
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw AuditInputError("--kubernetes \(file): cannot read the file")
            }
            objects += try parse(path: file, contents: contents)
        }
        return KubernetesManifests(files: files, objects: objects)
    }

    static func manifestFiles(at path: String) throws(AuditInputError) -> [String] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AuditInputError("--kubernetes \(path): no such file or directory")
        }
        guard isDirectory.boolValue else { return [path] }
        guard let enumerator = manager.enumerator(atPath: path) else {
            throw AuditInputError("--kubernetes \(path): cannot list the directory")
        }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard name.hasSuffix(".yaml") || name.hasSuffix(".yml"), !name.hasPrefix("."),
                  !["kustomization.yaml", "kustomization.yml"].contains(name) else { continue }
            files.append((path as NSString).appendingPathComponent(relative))
        }
        guard !files.isEmpty else { throw AuditInputError("--kubernetes \(path): no *.yaml or *.yml file in the directory") }
        return files.sorted()
    }

    /// The objects of one multi-document YAML text. Empty documents are
    /// skipped; a `kind: List` contributes its items.
    public static func parse(path: String, contents: String) throws(AuditInputError) -> [Object] {
        var documents: [KubernetesNode] = []
        do {
            var sequence = try Yams.compose_all(yaml: contents)
            while let node = sequence.next() { documents.append(KubernetesNode(node)) }
            if let error = sequence.error { throw error }
        } catch {
            throw AuditInputError("--kubernetes \(path): not valid YAML (\(error))")
        }
        var objects: [Object] = []
        func add(_ node: KubernetesNode) {
            guard let kind = node["kind"]?.string, !kind.isEmpty else { return }
            if kind.hasSuffix("List"), let items = node["items"] {
                items.items.forEach(add)
                return
            }
            objects.append(Object(
                file: path, apiVersion: node["apiVersion"]?.string ?? "", kind: kind,
                name: node["metadata", "name"]?.string ?? "?", namespace: node["metadata", "namespace"]?.string, root: node))
        }
        documents.forEach(add)
        return objects
    }
}
