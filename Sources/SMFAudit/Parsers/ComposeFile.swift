import Foundation
import Yams

/// The parts of a Docker Compose file the audit judges, each with its line.
public struct ComposeFile: Sendable {
    public struct Located<Value: Sendable>: Sendable {
        public let value: Value
        public let line: Int?
    }

    public struct Service: Sendable {
        public let name: String
        public let line: Int?
        public var image: Located<String>?
        public var hasBuild = false
        public var user: Located<String>?
        public var ports: [Located<String>] = []
        public var networks: [String] = []
        public var networkMode: Located<String>?
        public var pid: Located<String>?
        public var ipc: Located<String>?
        public var privileged: Located<Bool>?
        public var readOnly: Located<Bool>?
        public var capDrop: [String] = []
        public var capAdd: [Located<String>] = []
        public var securityOpt: [String] = []
        public var volumes: [Located<String>] = []
        /// Variable → value (nil for `- NAME` without a value), with its line.
        public var environment: [(name: String, value: String?, line: Int?)] = []
        public var healthcheck: Located<Healthcheck>?
        public var memoryLimit: String?
        public var cpuLimit: String?
        public var pidsLimit: String?
        public var restart: String?
        public var profiles: [String] = []
        public var command: String = ""
    }

    public enum Healthcheck: Sendable, Equatable {
        case test(String)
        case disabled
    }

    public struct Network: Sendable {
        public let name: String
        public let line: Int?
        public let isInternal: Bool
    }

    public let path: String
    public let services: [Service]
    public let networks: [Network]

    public static func load(_ path: String) throws(AuditInputError) -> ComposeFile {
        guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AuditInputError("--compose \(path): cannot read the file")
        }
        return try parse(path: path, contents: contents)
    }

    public static func parse(path: String, contents: String) throws(AuditInputError) -> ComposeFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: contents)
        } catch {
            throw AuditInputError("--compose \(path): not valid YAML (\(error))")
        }
        guard let root, let top = root.mapping else {
            throw AuditInputError("--compose \(path): not a compose file (no top-level mapping)")
        }
        var services: [Service] = []
        if let mapping = top["services"]?.mapping {
            for (nameNode, body) in mapping {
                services.append(service(named: nameNode.string ?? "?", line: nameNode.mark?.line, body: body))
            }
        }
        var networks: [Network] = []
        if let mapping = top["networks"]?.mapping {
            for (nameNode, body) in mapping {
                networks.append(Network(name: nameNode.string ?? "?", line: nameNode.mark?.line,
                                        isInternal: body.mapping?["internal"]?.bool == true))
            }
        }
        return ComposeFile(path: path, services: services, networks: networks)
    }

    private static func located(_ node: Node?) -> Located<String>? {
        guard let node, let text = scalarText(node) else { return nil }
        return Located(value: text, line: node.mark?.line)
    }

    private static func scalarText(_ node: Node) -> String? {
        if case .scalar(let scalar) = node { return scalar.string }
        return nil
    }

    /// A list or a single scalar, as strings with lines.
    private static func list(_ node: Node?) -> [Located<String>] {
        guard let node else { return [] }
        if let sequence = node.sequence {
            return sequence.compactMap { item in
                if let text = scalarText(item) { return Located(value: text, line: item.mark?.line) }
                // Long syntax (`- target: 80\n  published: 8080`): keep it as "published:target".
                if let mapping = item.mapping {
                    let published = mapping["published"].flatMap(scalarText)
                    let target = mapping["target"].flatMap(scalarText) ?? ""
                    let source = mapping["source"].flatMap(scalarText)
                    let ip = mapping["host_ip"].flatMap(scalarText)
                    let text = [ip, published ?? source, target].compactMap { $0 }.joined(separator: ":")
                    return Located(value: text, line: item.mark?.line)
                }
                return nil
            }
        }
        return located(node).map { [$0] } ?? []
    }

    private static func service(named name: String, line: Int?, body: Node) -> Service {
        var service = Service(name: name, line: line)
        guard let map = body.mapping else { return service }
        service.image = located(map["image"])
        service.hasBuild = map["build"] != nil
        service.user = located(map["user"])
        service.ports = list(map["ports"])
        if let networks = map["networks"] {
            service.networks = networks.mapping.map { $0.keys.compactMap(\.string) } ?? list(networks).map(\.value)
        }
        service.networkMode = located(map["network_mode"])
        service.pid = located(map["pid"])
        service.ipc = located(map["ipc"])
        if let node = map["privileged"] { service.privileged = Located(value: node.bool == true, line: node.mark?.line) }
        if let node = map["read_only"] { service.readOnly = Located(value: node.bool == true, line: node.mark?.line) }
        service.capDrop = list(map["cap_drop"]).map { $0.value.uppercased() }
        service.capAdd = list(map["cap_add"])
        service.securityOpt = list(map["security_opt"]).map(\.value)
        service.volumes = list(map["volumes"])
        service.environment = environment(map["environment"])
        if let node = map["healthcheck"] {
            let health = node.mapping
            let disabled = health?["disable"]?.bool == true
                || (health?["test"]?.sequence?.first.flatMap(scalarText)?.uppercased() == "NONE")
            let test = health?["test"].map { $0.sequence?.compactMap(scalarText).joined(separator: " ") ?? scalarText($0) ?? "" } ?? ""
            service.healthcheck = Located(value: disabled ? .disabled : .test(test), line: node.mark?.line)
        }
        let limits = map["deploy"]?.mapping?["resources"]?.mapping?["limits"]?.mapping
        service.memoryLimit = limits?["memory"].flatMap(scalarText) ?? map["mem_limit"].flatMap(scalarText)
        service.cpuLimit = limits?["cpus"].flatMap(scalarText) ?? map["cpus"].flatMap(scalarText)
        service.pidsLimit = limits?["pids"].flatMap(scalarText) ?? map["pids_limit"].flatMap(scalarText)
        service.restart = map["restart"].flatMap(scalarText) ?? map["deploy"]?.mapping?["restart_policy"]?.mapping?["condition"].flatMap(scalarText)
        service.profiles = list(map["profiles"]).map(\.value)
        if let command = map["command"] {
            service.command = command.sequence?.compactMap(scalarText).joined(separator: " ") ?? scalarText(command) ?? ""
        }
        return service
    }

    private static func environment(_ node: Node?) -> [(name: String, value: String?, line: Int?)] {
        guard let node else { return [] }
        if let mapping = node.mapping {
            return mapping.map { pair in
                (pair.key.string ?? "?", pair.value.null != nil ? nil : scalarText(pair.value), pair.key.mark?.line)
            }
        }
        return list(node).map { item in
            let parts = item.value.split(separator: "=", maxSplits: 1)
            return (String(parts.first ?? ""), parts.count > 1 ? String(parts[1]) : nil, item.line)
        }
    }
}
