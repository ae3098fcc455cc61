/// The settings a node type takes: each setting's type and bounds, plus the
/// few rules that tie settings together. The validator checks a node's
/// `settings` object against it; `jsonSchema` is the same schema as JSON
/// Schema 2020-12 for the API (`GET /api/v1/node-types`).
///
/// Settings objects are closed: a key the schema does not name is an error
/// (`setting-unknown`), as is any key of a nested object the schema does not
/// name. `null` counts as absent.
public struct SettingSchema: Sendable, Hashable {
    public let settings: [SettingSpec]
    public let rules: [CrossFieldRule]

    public init(_ settings: [SettingSpec], rules: [CrossFieldRule] = []) {
        self.settings = settings
        self.rules = rules
    }

    public static let empty = SettingSchema([])

    /// The spec of the setting `key`, if the schema has one.
    public func spec(_ key: String) -> SettingSpec? {
        settings.first { $0.key == key }
    }
}

/// One setting (or one field of an object setting).
public struct SettingSpec: Sendable, Hashable {
    public let key: String
    public let type: SettingType
    /// A required setting must be present and not null. A required
    /// credential that is missing is only a warning when a flow is saved
    /// (`credential-missing`), an error when it is deployed.
    public let required: Bool
    public let title: String
    public let description: String
    /// What the runtime uses when the setting is absent (documentation; the
    /// validator does not fill it in, so stored documents stay as written).
    public let defaultValue: JSONValue?

    public init(
        _ key: String, _ type: SettingType, required: Bool = false, title: String, description: String,
        default defaultValue: JSONValue? = nil
    ) {
        self.key = key
        self.type = type
        self.required = required
        self.title = title
        self.description = description
        self.defaultValue = defaultValue
    }
}

/// The type of a setting value, with its bounds.
public indirect enum SettingType: Sendable, Hashable {
    /// A string of `minLength...maxLength` characters (Unicode scalars
    /// counted as JSON Schema counts code points), checked by `format`.
    case string(minLength: Int = 0, maxLength: Int, format: StringFormat = .plain)
    /// A JSON integer (`3`, never `3.5`) in `minimum...maximum`.
    case integer(minimum: Int64, maximum: Int64)
    /// A JSON number (integers accepted) in `minimum...maximum`.
    case number(minimum: Double, maximum: Double)
    case boolean
    /// One of the listed strings, compared exactly.
    case enumeration([String])
    /// The id (a UUID string, compared lower-cased) of a stored credential of
    /// this kind in the flow's workspace.
    case credential(CredentialKind)
    /// A string (up to `maxLength`), a number, an integer or a boolean: the
    /// comparison value of `route.condition`.
    case scalar(maxLength: Int)
    /// An array of `minItems...maxItems` items of one type; `uniqueItems`
    /// refuses repeated items.
    case list(of: SettingType, minItems: Int = 0, maxItems: Int, uniqueItems: Bool = false)
    /// A closed object with these fields (unknown fields are errors).
    case object([SettingSpec])
}

/// Checks on a string setting beyond its length. Each has a JSON Schema
/// `pattern` where one can say it and an `x-format` name for the rest.
public enum StringFormat: String, Sendable, Hashable, CaseIterable {
    /// Any text.
    case plain
    /// Text with `{{placeholder}}` fields: every `{{` must close with `}}`
    /// around a name like `input` or `message.text` (letters, digits and `_`,
    /// dot-separated, not starting with a digit). A lone `}}` is literal text
    /// (JSON bodies end in `}}`).
    case template
    /// A regular expression within the complexity bound (see `RegexGuard`).
    case regex
    /// An absolute `http`/`https` URL with a host and no user info; may hold
    /// `{{placeholders}}` outside the scheme and host.
    case httpURL = "http-url"
    /// An HTTP field name (RFC 9110 token) that is not hop-by-hop or framing
    /// (see `HTTPHeaderRules`).
    case headerName = "header-name"
    /// An HTTP field value: a template without CR, LF or NUL.
    case headerValue = "header-value"
    /// An output port name: lower-case letter, then up to 31 lower-case
    /// letters, digits or `_`.
    case portName = "port-name"
    /// A message field path for `route.condition`: `message`, `text` or
    /// `json`, then up to 8 `.segment`s of letters, digits and `_`.
    case fieldPath = "field-path"
    /// A model name as OpenAI-compatible servers spell them.
    case modelName = "model-name"
    /// A BCP 47-like language code (`en`, `de`, `pt-BR`).
    case languageCode = "language-code"
    /// Decimal digits only (Instagram media ids).
    case numericID = "numeric-id"

    /// The same rule as an ECMA-262 regex for JSON Schema, where it can be
    /// said as one.
    public var jsonSchemaPattern: String? {
        switch self {
        case .plain, .template, .regex, .httpURL: return nil
        case .headerName: return "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
        case .headerValue: return "^[^\\r\\n\\u0000]*$"
        case .portName: return "^[a-z][a-z0-9_]{0,31}$"
        case .fieldPath: return "^(message|text|json)(\\.[A-Za-z0-9_]{1,64}){0,8}$"
        case .modelName: return "^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$"
        case .languageCode: return "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
        case .numericID: return "^[0-9]{1,32}$"
        }
    }
}

/// A rule over several settings (or several fields of list items).
public enum CrossFieldRule: Sendable, Hashable {
    /// Every item of the list `list` has at least one of `fields`
    /// (code `setting-needs-one-of`).
    case itemsNeedOneOf(list: String, fields: [String])
    /// The field `field` differs between all items of `list`
    /// (`setting-duplicate`) and is none of `reserved` (`setting-reserved`).
    case uniqueItemField(list: String, field: String, reserved: [String])
    /// `setting` is required unless `other` is one of `values` (`setting-missing`).
    case requiredUnless(setting: String, other: String, values: [String])
    /// `setting`, when present, is a number if `other` is one of `values`
    /// (`setting-wrong-type`).
    case numericWhen(setting: String, other: String, values: [String])
}
