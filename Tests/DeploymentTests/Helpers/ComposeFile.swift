import Foundation
import Yams

/// deploy/docker-compose.prod.yml parsed with Yams, with typed access to
/// the parts the rules talk about.
struct ComposeFile {
    let root: [String: Any]

    init(_ text: String) throws {
        guard let root = try Yams.load(yaml: text) as? [String: Any] else { throw NotAMapping() }
        self.root = root
    }

    static func shipped() throws -> ComposeFile {
        try ComposeFile(try RepositoryFiles.text("deploy/docker-compose.prod.yml"))
    }

    var services: [String: Service] {
        ((root["services"] as? [String: Any]) ?? [:]).mapValues { Service(($0 as? [String: Any]) ?? [:]) }
    }

    var networks: [String: [String: Any]] {
        ((root["networks"] as? [String: Any]) ?? [:]).mapValues { ($0 as? [String: Any]) ?? [:] }
    }

    var secrets: [String: [String: Any]] {
        ((root["secrets"] as? [String: Any]) ?? [:]).mapValues { ($0 as? [String: Any]) ?? [:] }
    }

    struct Service {
        let fields: [String: Any]
        init(_ fields: [String: Any]) { self.fields = fields }

        func string(_ key: String) -> String? { fields[key].map { "\($0)" } }
        func strings(_ key: String) -> [String] { (fields[key] as? [Any])?.map { "\($0)" } ?? [] }
        func mapping(_ key: String) -> [String: Any] { (fields[key] as? [String: Any]) ?? [:] }

        /// `environment:` as a mapping (the form the shipped file uses).
        var environment: [String: String] { mapping("environment").mapValues { "\($0)" } }

        /// Network names, from either the list or the mapping form.
        var networkNames: Set<String> {
            if let list = fields["networks"] as? [Any] { return Set(list.map { "\($0)" }) }
            return Set(mapping("networks").keys)
        }

        var limits: [String: Any] {
            ((mapping("deploy")["resources"] as? [String: Any])?["limits"] as? [String: Any]) ?? [:]
        }

        var volumeSources: [String] {
            strings("volumes").map { String($0.split(separator: ":")[0]) }
        }
    }

    struct NotAMapping: Error {}
}
