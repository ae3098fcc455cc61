/// Node types and settings: each node's type must be in the catalog, and its
/// settings must match that type's `SettingSchema`.
extension ValidationRun {
    mutating func checkTypesAndSettings(_ nodes: inout [ParsedNode]) {
        for position in nodes.indices {
            let node = nodes[position]
            guard let typeName = node.typeName, let version = node.version else { continue }
            guard let type = catalog.type(id: typeName, version: version) else {
                let versions = catalog.versions(of: typeName)
                if versions.isEmpty {
                    error(node.pointer + "/type", Code.unknownNodeType, "there is no node type \(Quote.user(typeName))")
                } else {
                    let known = versions.map(String.init).joined(separator: ", ")
                    error(node.pointer + "/version", Code.unknownNodeVersion, "\(typeName) has no version \(version) (known: \(known))")
                }
                continue
            }
            nodes[position].type = type
            let pointer = node.pointer + "/settings"
            checkObject(node.settings, specs: type.settings.settings, at: pointer)
            checkRules(type.settings.rules, settings: node.settings, at: pointer)
        }
    }

    /// A closed object: required members present, no unknown ones, each
    /// member of its type. `null` counts as absent.
    private mutating func checkObject(_ members: [String: JSONValue], specs: [SettingSpec], at pointer: String) {
        for spec in specs {
            let memberPointer = JSONPointer.appending(pointer, spec.key)
            guard let value = members[spec.key], !value.isNull else {
                guard spec.required else { continue }
                if case .credential(let kind) = spec.type {
                    let message = "a \(kind.rawValue) credential is required; set it before deploying"
                    if purpose == .deploy {
                        error(memberPointer, Code.credentialMissing, message)
                    } else {
                        warning(memberPointer, Code.credentialMissing, message)
                    }
                } else {
                    error(memberPointer, Code.settingMissing, "\(spec.key) is required")
                }
                continue
            }
            checkValue(value, type: spec.type, at: memberPointer)
        }
        for key in members.keys where !specs.contains(where: { $0.key == key }) {
            let known = specs.map(\.key).joined(separator: ", ")
            if key.utf8.count > FlowLimits.maxQuotedCharacters {
                error(pointer, Code.settingUnknown, "a key longer than \(FlowLimits.maxQuotedCharacters) bytes is not a setting (settings: \(known))")
            } else {
                error(JSONPointer.appending(pointer, key), Code.settingUnknown, "\(Quote.user(key)) is not a setting of this node type (settings: \(known))")
            }
        }
    }

    private mutating func checkValue(_ value: JSONValue, type: SettingType, at pointer: String) {
        switch type {
        case .string(let minLength, let maxLength, let format):
            guard case .string(let text) = value else { return wrongType(value, "a string", at: pointer) }
            // Early exit on the byte count: a string can't have fewer
            // scalars than bytes / 4.
            let length = text.utf8.count / 4 > maxLength ? Int.max : text.unicodeScalars.count
            if length < minLength {
                return error(pointer, Code.settingTooShort, minLength == 1 ? "may not be empty" : "needs at least \(minLength) characters")
            }
            if length > maxLength {
                return error(pointer, Code.settingTooLong, "may have at most \(maxLength) characters")
            }
            if let (code, detail) = format.problem(text) { error(pointer, code, detail) }
        case .integer(let minimum, let maximum):
            guard case .integer(let number) = value else { return wrongType(value, "an integer", at: pointer) }
            if number < minimum || number > maximum {
                error(pointer, Code.settingOutOfRange, "must be from \(minimum) to \(maximum); got \(number)")
            }
        case .number(let minimum, let maximum):
            guard let number = value.doubleValue else { return wrongType(value, "a number", at: pointer) }
            if !(number >= minimum && number <= maximum) {
                error(pointer, Code.settingOutOfRange, "must be from \(minimum) to \(maximum); got \(number)")
            }
        case .boolean:
            guard case .bool = value else { return wrongType(value, "a boolean", at: pointer) }
        case .enumeration(let allowed):
            guard case .string(let text) = value else { return wrongType(value, "a string", at: pointer) }
            if !allowed.contains(text) {
                error(pointer, Code.settingNotInEnum, "must be one of \(allowed.joined(separator: ", ")); got \(Quote.user(text))")
            }
        case .credential(let kind):
            checkCredential(value, kind: kind, at: pointer)
        case .scalar(let maxLength):
            switch value {
            case .string(let text):
                if text.unicodeScalars.count > maxLength {
                    error(pointer, Code.settingTooLong, "may have at most \(maxLength) characters")
                }
            case .integer, .number, .bool:
                break
            case .null, .array, .object:
                wrongType(value, "a string, number or boolean", at: pointer)
            }
        case .list(let item, let minItems, let maxItems, let uniqueItems):
            guard case .array(let elements) = value else { return wrongType(value, "an array", at: pointer) }
            if elements.count < minItems {
                error(pointer, Code.settingTooShort, "needs at least \(minItems) item\(minItems == 1 ? "" : "s")")
            }
            if elements.count > maxItems {
                error(pointer, Code.settingTooLong, "may have at most \(maxItems) items")
            }
            // Items past the maximum are not checked: the bound on the work
            // (e.g. regex compiles) is the schema's.
            var seen = Set<JSONValue>()
            for (index, element) in elements.prefix(maxItems).enumerated() {
                let itemPointer = JSONPointer.appending(pointer, index)
                if uniqueItems, !seen.insert(element).inserted {
                    error(itemPointer, Code.settingDuplicate, "repeats an earlier item")
                    continue
                }
                checkValue(element, type: item, at: itemPointer)
            }
        case .object(let specs):
            guard case .object(let members) = value else { return wrongType(value, "an object", at: pointer) }
            checkObject(members, specs: specs, at: pointer)
        }
    }

    private mutating func wrongType(_ value: JSONValue, _ expected: String, at pointer: String) {
        error(pointer, Code.settingWrongType, "must be \(expected), not \(value.typeName)")
    }

    /// A credential id: a UUID of a credential of the right kind in the workspace.
    private mutating func checkCredential(_ value: JSONValue, kind: CredentialKind, at pointer: String) {
        guard case .string(let text) = value else { return wrongType(value, "a credential id (a UUID string)", at: pointer) }
        guard UUIDText.isUUID(text) else {
            return error(pointer, Code.credentialInvalid, "a credential id is a UUID; got \(Quote.user(text))")
        }
        guard let found = credentials[text.lowercased()] else {
            return error(pointer, Code.credentialNotFound, "no credential with this id in the workspace")
        }
        if found != kind {
            error(pointer, Code.credentialWrongKind, "this is a \(found.rawValue) credential; the setting needs \(kind.rawValue)")
        }
    }

    // MARK: - Cross-field rules

    private mutating func checkRules(_ rules: [CrossFieldRule], settings: [String: JSONValue], at pointer: String) {
        for rule in rules {
            switch rule {
            case .itemsNeedOneOf(let list, let fields):
                for (index, item) in listItems(settings, list) {
                    guard case .object(let members) = item else { continue }
                    if !fields.contains(where: { members[$0].map { !$0.isNull } ?? false }) {
                        error(
                            JSONPointer.appending(JSONPointer.appending(pointer, list), index), Code.settingNeedsOneOf,
                            "needs \(fields.joined(separator: " or "))")
                    }
                }
            case .uniqueItemField(let list, let field, let reserved):
                var seen = Set<String>()
                for (index, item) in listItems(settings, list) {
                    guard let name = item[field]?.stringValue else { continue }
                    let fieldPointer = JSONPointer.appending(JSONPointer.appending(JSONPointer.appending(pointer, list), index), field)
                    if reserved.contains(name) {
                        error(fieldPointer, Code.settingReserved, "\(Quote.user(name)) is reserved here")
                    } else if !seen.insert(name).inserted {
                        error(fieldPointer, Code.settingDuplicate, "another item already uses \(Quote.user(name))")
                    }
                }
            case .requiredUnless(let setting, let other, let values):
                // Only when `other` is a valid choice: a missing or wrong
                // `other` is reported on its own.
                guard let choice = settings[other]?.stringValue else { continue }
                if !values.contains(choice), settings[setting].map({ $0.isNull }) ?? true {
                    error(JSONPointer.appending(pointer, setting), Code.settingMissing, "\(setting) is required unless \(other) is \(values.joined(separator: " or "))")
                }
            case .numericWhen(let setting, let other, let values):
                guard let choice = settings[other]?.stringValue, values.contains(choice),
                    let value = settings[setting], !value.isNull, value.doubleValue == nil
                else { continue }
                error(JSONPointer.appending(pointer, setting), Code.settingWrongType, "must be a number when \(other) is \(choice)")
            }
        }
    }

    /// The items of a list setting that the schema checks (up to its
    /// maximum), with their indices.
    private func listItems(_ settings: [String: JSONValue], _ list: String) -> [(Int, JSONValue)] {
        guard case .array(let elements)? = settings[list] else { return [] }
        return Array(elements.prefix(FlowLimits.maxNodes).enumerated())
    }
}

/// UUID text as `8-4-4-4-12` hex digits, either case.
enum UUIDText {
    static func isUUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else if !ASCII.isHex(byte) {
                return false
            }
        }
        return true
    }
}
