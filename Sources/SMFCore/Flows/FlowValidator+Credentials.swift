extension FlowValidator {
    /// The credential ids a document references (lower-cased, UUID-shaped
    /// only), found through each node's schema, so the server can load just
    /// those before `validate`. Any JSON value is accepted; malformed parts
    /// are skipped.
    public static func credentialReferences(in value: JSONValue, catalog: NodeCatalog = .standard) -> Set<String> {
        var found = Set<String>()
        guard case .array(let nodes)? = value["nodes"] else { return found }
        for node in nodes {
            guard let typeName = node["type"]?.stringValue, let version = node["version"]?.integerValue,
                let type = catalog.type(id: typeName, version: Int(version)),
                case .object(let settings)? = node["settings"]
            else { continue }
            CredentialWalk.visit(settings, specs: type.settings.settings) { id, _ in
                if UUIDText.isUUID(id) { found.insert(id.lowercased()) }
            }
        }
        return found
    }
}

extension FlowDocument {
    /// The document without the credential settings whose id is not in
    /// `allowed` (compared lower-cased), and the JSON pointers of what was
    /// removed. Used by import: a flow from elsewhere keeps only references
    /// to this workspace's credentials; the rest become `credential-missing`
    /// warnings to fix before deploying. A credential inside a list item
    /// would be set to null rather than removed (no catalog type has one).
    public func strippingCredentials(notIn allowed: Set<String>, catalog: NodeCatalog = .standard) -> (document: FlowDocument, stripped: [String]) {
        let allowed = Set(allowed.map { $0.lowercased() })
        var document = self
        var stripped: [String] = []
        for (index, node) in nodes.enumerated() {
            guard let type = catalog.type(id: node.type, version: node.version) else { continue }
            var settings = JSONValue.object(node.settings)
            CredentialWalk.strip(&settings, type: .object(type.settings.settings), pointer: "/nodes/\(index)/settings", allowed: allowed, stripped: &stripped)
            document.nodes[index].settings = settings.objectValue ?? [:]
        }
        return (document, stripped)
    }
}

/// Finding credential settings by schema (nested objects and lists too).
enum CredentialWalk {
    static func visit(_ settings: [String: JSONValue], specs: [SettingSpec], _ body: (String, CredentialKind) -> Void) {
        for spec in specs {
            if let value = settings[spec.key] { visit(value, type: spec.type, body) }
        }
    }

    private static func visit(_ value: JSONValue, type: SettingType, _ body: (String, CredentialKind) -> Void) {
        switch type {
        case .credential(let kind):
            if let id = value.stringValue { body(id, kind) }
        case .list(let item, _, let maxItems, _):
            for element in value.arrayValue?.prefix(maxItems) ?? [] { visit(element, type: item, body) }
        case .object(let specs):
            if let members = value.objectValue { visit(members, specs: specs, body) }
        case .string, .integer, .number, .boolean, .enumeration, .scalar:
            return
        }
    }

    /// Removes (from objects) or nulls (in lists) credential ids not in `allowed`.
    /// Returns whether `value` itself is such a credential.
    @discardableResult
    static func strip(_ value: inout JSONValue, type: SettingType, pointer: String, allowed: Set<String>, stripped: inout [String]) -> Bool {
        switch type {
        case .credential:
            guard let id = value.stringValue, !allowed.contains(id.lowercased()) else { return false }
            stripped.append(pointer)
            return true
        case .list(let item, _, _, _):
            guard case .array(var elements) = value else { return false }
            for index in elements.indices {
                if strip(&elements[index], type: item, pointer: JSONPointer.appending(pointer, index), allowed: allowed, stripped: &stripped) {
                    elements[index] = .null
                }
            }
            value = .array(elements)
            return false
        case .object(let specs):
            guard case .object(var members) = value else { return false }
            for spec in specs {
                guard var member = members[spec.key] else { continue }
                if strip(&member, type: spec.type, pointer: JSONPointer.appending(pointer, spec.key), allowed: allowed, stripped: &stripped) {
                    members[spec.key] = nil
                } else {
                    members[spec.key] = member
                }
            }
            value = .object(members)
            return false
        case .string, .integer, .number, .boolean, .enumeration, .scalar:
            return false
        }
    }
}
