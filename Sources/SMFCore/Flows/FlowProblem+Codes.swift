extension FlowProblem {
    /// Every problem code the validator emits. The strings are a contract
    /// with API clients: add codes, never rename one.
    public enum Code {
        // Document shape and limits
        public static let documentTooLarge = "document-too-large"
        public static let documentNotObject = "document-not-object"
        public static let wrongType = "wrong-type"
        public static let missingField = "missing-field"
        public static let unknownField = "unknown-field"
        public static let stringTooLong = "string-too-long"
        public static let nestingTooDeep = "nesting-too-deep"
        public static let tooManyNodes = "too-many-nodes"
        public static let tooManyEdges = "too-many-edges"
        public static let tooManyProblems = "too-many-problems"
        // Nodes
        public static let invalidNodeID = "invalid-node-id"
        public static let duplicateNodeID = "duplicate-node-id"
        public static let unknownNodeType = "unknown-node-type"
        public static let unknownNodeVersion = "unknown-node-version"
        // Settings
        public static let settingMissing = "setting-missing"
        public static let settingUnknown = "setting-unknown"
        public static let settingWrongType = "setting-wrong-type"
        public static let settingOutOfRange = "setting-out-of-range"
        public static let settingTooShort = "setting-too-short"
        public static let settingTooLong = "setting-too-long"
        public static let settingNotInEnum = "setting-not-in-enum"
        public static let settingPatternMismatch = "setting-pattern-mismatch"
        public static let settingDuplicate = "setting-duplicate"
        public static let settingReserved = "setting-reserved"
        public static let settingNeedsOneOf = "setting-needs-one-of"
        public static let templateInvalid = "template-invalid"
        public static let regexInvalid = "regex-invalid"
        public static let regexTooComplex = "regex-too-complex"
        public static let urlInvalid = "url-invalid"
        public static let headerForbidden = "header-forbidden"
        // Credentials
        public static let credentialMissing = "credential-missing"
        public static let credentialInvalid = "credential-invalid"
        public static let credentialNotFound = "credential-not-found"
        public static let credentialWrongKind = "credential-wrong-kind"
        // Edges and graph
        public static let edgeUnknownNode = "edge-unknown-node"
        public static let edgeUnknownPort = "edge-unknown-port"
        public static let edgeFromInput = "edge-from-input"
        public static let edgeIntoOutput = "edge-into-output"
        public static let edgeIntoTrigger = "edge-into-trigger"
        public static let portTypeMismatch = "port-type-mismatch"
        public static let inputAlreadyConnected = "input-already-connected"
        public static let duplicateEdge = "duplicate-edge"
        public static let cycle = "cycle"
        public static let triggerMissing = "trigger-missing"
        public static let triggerMultiple = "trigger-multiple"
        public static let nodeUnreachable = "node-unreachable"
        public static let actionNotConnected = "action-not-connected"
    }
}
