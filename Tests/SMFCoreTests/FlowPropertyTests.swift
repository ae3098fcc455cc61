import Foundation
import PropertyBased
import Testing
import SMFCore

/// Properties of the validator over generated documents (issue 7):
///
/// 1. It never traps or hangs, whatever the JSON (random graphs of catalog
///    and unknown types, random ports, dangling edges, cycles, random
///    settings, random JSON at any place).
/// 2. Whatever it accepts is acyclic and has exactly one trigger, checked
///    here independently (own topological sort, own trigger count), and its
///    edges join existing nodes through existing, compatible ports.
/// 3. Well-formed DAGs built from valid nodes with valid settings are
///    accepted (no false positives), and corrupting one makes the share of
///    accepted documents drop but not vanish: the property in (2) is not
///    vacuous.
///
/// A document is built from one seed with a local generator (graphs refer
/// to their own node ids, which generator combinators express badly); a
/// failure prints the seed, and `GraphFactory(seed:)` rebuilds the case.
///
/// Seen to fail (2026-11-29, when this file was added): with the cycle check or
/// the several-triggers check switched off in the validator, (2) fails on
/// the corrupted DAGs within the first few hundred cases.
@Suite struct FlowPropertyTests {
    // ~1,200 validations in all: about a second in a debug build.
    static let count = 400

    @Test func random_graphs_never_crash_and_accepted_ones_are_sound() async {
        var accepted = 0
        await propertyCheck(count: Self.count, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var factory = GraphFactory(seed: seed)
            let document = factory.chaoticDocument()
            let validation = FlowFixtures.validate(document, purpose: factory.purpose)
            Self.checkSound(validation, document: document, seed: seed)
            if validation.isValid { accepted += 1 }
        }
        // Chaos is mostly rejected; the mostly-valid test below is where
        // acceptance is the rule.
        #expect(accepted >= 0)
    }

    @Test func valid_dags_are_accepted_and_corrupted_ones_stay_sound() async {
        var accepted = 0
        var corruptedAccepted = 0
        var corrupted = 0
        await propertyCheck(count: Self.count, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var factory = GraphFactory(seed: seed)
            let (document, corruption) = factory.mostlyValidDocument()
            let validation = FlowFixtures.validate(document, purpose: factory.purpose)
            Self.checkSound(validation, document: document, seed: seed)
            if corruption == nil {
                #expect(validation.isValid, "seed \(seed): a valid DAG was refused: \(validation.errors.prefix(3).map { "\($0.code)@\($0.pointer): \($0.detail)" })")
                if validation.isValid { accepted += 1 }
            } else {
                corrupted += 1
                if validation.isValid { corruptedAccepted += 1 }
            }
        }
        #expect(accepted > 0, "no generated document was accepted: the soundness property would be vacuous")
        #expect(corrupted > 0)
        // Some corruptions are harmless (e.g. an extra unreachable node, a
        // warning only), most are not.
        #expect(corruptedAccepted < corrupted)
    }

    @Test func arbitrary_json_never_crashes() async {
        await propertyCheck(count: Self.count, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var factory = GraphFactory(seed: seed)
            let value = factory.randomJSON(depth: 0, maxDepth: 6)
            let wrapped: JSONValue = factory.chance(0.5) ? value : ["nodes": value, "edges": factory.randomJSON(depth: 0, maxDepth: 4)]
            let validation = FlowValidator.validate(wrapped, byteCount: 100, credentials: [:], purpose: .deploy)
            Self.checkSound(validation, document: wrapped, seed: seed)
            _ = FlowValidator.credentialReferences(in: wrapped)
        }
    }

    /// The fast parser reads back what JSONEncoder wrote, equal to what
    /// JSONDecoder reads.
    @Test func parser_agrees_with_json_decoder() async {
        await propertyCheck(count: Self.count, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var factory = GraphFactory(seed: seed)
            let value = factory.chance(0.5) ? factory.randomJSON(depth: 0, maxDepth: 6) : factory.mostlyValidDocument().0
            let encoder = JSONEncoder()
            encoder.outputFormatting = factory.chance(0.5) ? [.sortedKeys] : [.prettyPrinted, .withoutEscapingSlashes]
            guard let data = try? encoder.encode(value) else { return }
            let decoded = try? JSONDecoder().decode(JSONValue.self, from: data)
            let parsed = try? JSONValue(parsing: data)
            #expect(parsed != nil && parsed == decoded, "seed \(seed)")
        }
    }

    /// Deep nesting up to the decoder's own depth limit is bounded by our
    /// walk (no recursion past FlowLimits.maxDepth).
    @Test func very_deep_nesting_is_reported_not_recursed() {
        var deep: JSONValue = "x"
        for _ in 0..<5_000 { deep = ["a": deep] }
        let validation = FlowValidator.validate(["nodes": [], "edges": [], "extra": deep], byteCount: 10, credentials: [:], purpose: .save)
        #expect(validation.problems.contains { $0.code == FlowProblem.Code.nestingTooDeep })
    }

    // MARK: - The independent checks

    static func checkSound(_ validation: FlowValidation, document: JSONValue, seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
        // Problems are sorted, capped, point into the document, quote little.
        #expect(validation.problems == validation.problems.sorted(), "seed \(seed)", sourceLocation: sourceLocation)
        #expect(validation.problems.count <= FlowLimits.maxProblems + 1, sourceLocation: sourceLocation)
        for problem in validation.problems {
            #expect(problem.pointer.isEmpty || problem.pointer.hasPrefix("/"), sourceLocation: sourceLocation)
            #expect(!problem.code.isEmpty && problem.code == problem.code.lowercased(), sourceLocation: sourceLocation)
        }
        guard validation.isValid else { return }
        guard let flow = validation.document else {
            Issue.record("seed \(seed): accepted without a document", sourceLocation: sourceLocation)
            return
        }
        let catalog = NodeCatalog.standard
        let triggers = flow.nodes.filter { catalog.type(id: $0.type, version: $0.version)?.category == .trigger }
        #expect(triggers.count == 1, "seed \(seed): \(triggers.count) triggers accepted", sourceLocation: sourceLocation)
        #expect(Set(flow.nodes.map(\.id)).count == flow.nodes.count, "seed \(seed)", sourceLocation: sourceLocation)
        #expect(isAcyclic(flow), "seed \(seed): a cycle was accepted", sourceLocation: sourceLocation)
        let nodes = Dictionary(flow.nodes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for edge in flow.edges {
            guard let from = nodes[edge.from.node], let to = nodes[edge.to.node],
                let fromType = catalog.type(id: from.type, version: from.version),
                let toType = catalog.type(id: to.type, version: to.version),
                let output = fromType.outputs(for: from.settings).first(where: { $0.name == edge.from.port }),
                let input = toType.input(named: edge.to.port)
            else {
                Issue.record("seed \(seed): accepted a dangling edge \(edge)", sourceLocation: sourceLocation)
                continue
            }
            #expect(output.type.canFeed(input.type), "seed \(seed)", sourceLocation: sourceLocation)
        }
    }

    /// Kahn's algorithm over node ids: acyclic iff every node is removed.
    static func isAcyclic(_ flow: FlowDocument) -> Bool {
        var indegree: [String: Int] = Dictionary(flow.nodes.map { ($0.id, 0) }, uniquingKeysWith: { first, _ in first })
        var successors: [String: [String]] = [:]
        for edge in flow.edges {
            successors[edge.from.node, default: []].append(edge.to.node)
            indegree[edge.to.node, default: 0] += 1
        }
        var ready = indegree.filter { $0.value == 0 }.map(\.key)
        var removed = 0
        while let node = ready.popLast() {
            removed += 1
            for next in successors[node] ?? [] {
                indegree[next, default: 0] -= 1
                if indegree[next] == 0 { ready.append(next) }
            }
        }
        return removed == indegree.count
    }
}

// MARK: - Document factory

/// SplitMix64: small, fast, reproducible from one seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct GraphFactory {
    var rng: SplitMix64
    let catalog = NodeCatalog.standard
    let purpose: ValidationPurpose

    init(seed: UInt64) {
        rng = SplitMix64(state: seed)
        purpose = seed & 1 == 0 ? .save : .deploy
    }

    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < probability }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    // MARK: Chaos

    static let unknownTypes = ["nope", "llm", "telegram.update.v2", "", "LLM.CHAT"]
    static let junkPorts = ["", "in", "out", "x", "otherwise", "true", "help", "sent", "message"]

    mutating func chaoticDocument() -> JSONValue {
        if chance(0.05) { return randomJSON(depth: 0, maxDepth: 4) }
        let nodeCount = int(0...12)
        let ids = (0..<nodeCount).map { "n\($0)" }
        var nodes: [JSONValue] = []
        for index in 0..<nodeCount {
            if chance(0.04) {
                nodes.append(randomJSON(depth: 2, maxDepth: 4))
                continue
            }
            let typeName = chance(0.85) ? pick(catalog.types).id : pick(Self.unknownTypes)
            let version: JSONValue = chance(0.9) ? 1 : pick([0, 2, "1", 1.5, nil])
            let id: JSONValue = chance(0.9) ? .string(ids[index]) : pick(["n0", "bad id", "", 7, .string(String(repeating: "a", count: 65))])
            var node: [String: JSONValue] = ["id": id, "type": .string(typeName), "version": version]
            if let type = catalog.type(id: typeName, version: 1), chance(0.6) {
                var settings = validSettings(for: type, index: index)
                for _ in 0..<int(0...2) {
                    let key = chance(0.7) ? (type.settings.settings.isEmpty ? "k" : pick(type.settings.settings).key) : "junk"
                    settings[key] = chance(0.2) ? nil : randomJSON(depth: 0, maxDepth: 3)
                }
                node["settings"] = .object(settings)
            } else if chance(0.7) {
                node["settings"] = randomJSON(depth: 0, maxDepth: 3)
            }
            if chance(0.3) { node["position"] = chance(0.8) ? ["x": 1.5, "y": -2] : randomJSON(depth: 0, maxDepth: 2) }
            if chance(0.03) { node["extra"] = 1 }
            nodes.append(.object(node))
        }
        var edges: [JSONValue] = []
        let allPorts = Array(Set(catalog.types.flatMap { $0.inputs.map(\.name) + $0.staticOutputs.map(\.name) })).sorted() + Self.junkPorts
        for _ in 0..<int(0...(nodeCount * 2 + 1)) {
            if chance(0.03) {
                edges.append(randomJSON(depth: 2, maxDepth: 3))
                continue
            }
            let from = ids.isEmpty || chance(0.05) ? "ghost" : pick(ids)
            let to = ids.isEmpty || chance(0.05) ? "ghost" : pick(ids)
            edges.append(FlowFixtures.edge(from, pick(allPorts), to, pick(allPorts)))
        }
        var document: [String: JSONValue] = ["nodes": .array(nodes), "edges": .array(edges)]
        if chance(0.03) { document["nodes"] = randomJSON(depth: 1, maxDepth: 3) }
        if chance(0.03) { document["edges"] = nil }
        if chance(0.03) { document["name"] = "x" }
        return .object(document)
    }

    mutating func randomJSON(depth: Int, maxDepth: Int) -> JSONValue {
        let leafOnly = depth >= maxDepth
        switch int(0...(leafOnly ? 5 : 7)) {
        case 0: return .null
        case 1: return .bool(chance(0.5))
        case 2: return .integer(Int64(int(-3...40_000)))
        case 3: return .number(Double.random(in: -5...5, using: &rng))
        case 4: return .string(pick(["", "x", "{{input}}", "{{", "(a+)+", "https://example.com", FlowFixtures.llm, "message.text", "otherwise", "ünï"]))
        case 5: return .string(String(repeating: "y", count: int(0...300)))
        case 6: return .array((0..<int(0...4)).map { _ in randomJSON(depth: depth + 1, maxDepth: maxDepth) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<int(0...4) {
                members[pick(["a", "port", "keywords", "regex", "name", "value", "id", "x", "credential"])] = randomJSON(depth: depth + 1, maxDepth: maxDepth)
            }
            return .object(members)
        }
    }

    // MARK: Valid DAGs

    /// A valid DAG of 1–16 nodes (trigger first, each later node fed from an
    /// earlier compatible output), then with probability 0.4 one corruption
    /// (named in the result).
    mutating func mostlyValidDocument() -> (JSONValue, String?) {
        let triggers = catalog.types.filter { $0.category == .trigger }
        let others = catalog.types.filter { $0.category != .trigger }
        var types = [pick(triggers)]
        for _ in 0..<int(0...15) { types.append(pick(others)) }
        var nodes: [FlowNode] = []
        var edges: [FlowEdge] = []
        for (index, type) in types.enumerated() {
            let node = FlowNode(
                id: "node_\(index)", type: type.id, version: type.version, settings: validSettings(for: type, index: index),
                position: chance(0.5) ? FlowPosition(x: Double(index * 100), y: 0) : nil)
            for input in type.inputs {
                // Candidates: every earlier output that can feed this input.
                var sources: [FlowEndpoint] = []
                for earlier in nodes {
                    guard let earlierType = catalog.type(id: earlier.type, version: earlier.version) else { continue }
                    for output in earlierType.outputs(for: earlier.settings) where output.type.canFeed(input.type) {
                        sources.append(FlowEndpoint(node: earlier.id, port: output.name))
                    }
                }
                guard !sources.isEmpty else { continue }
                let fanIn = input.multiple ? int(1...min(3, sources.count)) : 1
                var used = Set<FlowEndpoint>()
                for _ in 0..<fanIn {
                    let source = pick(sources)
                    if used.insert(source).inserted {
                        edges.append(FlowEdge(from: source, to: FlowEndpoint(node: node.id, port: input.name)))
                    }
                }
            }
            nodes.append(node)
        }
        var document = FlowDocument(nodes: nodes, edges: edges)
        var corruption: String?
        if chance(0.4) {
            corruption = corrupt(&document)
        }
        return (document.jsonValue, corruption)
    }

    /// One random corruption; most make the document invalid.
    mutating func corrupt(_ document: inout FlowDocument) -> String {
        let count = document.nodes.count
        switch int(0...9) {
        case 9:
            // A cycle that breaks no other rule: two templates (multiple
            // inputs) feeding each other, one also fed by the trigger.
            document.nodes += [
                FlowNode(id: "loop_a", type: "text.template", settings: ["template": "{{input}}"]),
                FlowNode(id: "loop_b", type: "text.template", settings: ["template": "{{input}}"]),
            ]
            let trigger = document.nodes[0].id
            document.edges += [
                FlowEdge(from: FlowEndpoint(node: trigger, port: "message"), to: FlowEndpoint(node: "loop_a", port: "input")),
                FlowEdge(from: FlowEndpoint(node: "loop_a", port: "output"), to: FlowEndpoint(node: "loop_b", port: "input")),
                FlowEdge(from: FlowEndpoint(node: "loop_b", port: "output"), to: FlowEndpoint(node: "loop_a", port: "input")),
            ]
            return "cycle through multiple inputs"
        case 0 where count > 1:
            // A back edge into a multiple input or any input: a cycle (or a
            // second edge into a single input).
            // Into an earlier text.template when there is one (its input
            // takes several edges, so only the cycle is wrong).
            let late = int(1...(count - 1))
            let templates = (1...late).filter { document.nodes[$0].type == "text.template" }
            let early = templates.isEmpty ? int(0...late) : pick(templates)
            let lateNode = document.nodes[late]
            let earlyNode = document.nodes[early]
            if let lateType = catalog.type(id: lateNode.type, version: 1), let earlyType = catalog.type(id: earlyNode.type, version: 1),
                let output = lateType.outputs(for: lateNode.settings).first, let input = earlyType.inputs.first
            {
                document.edges.append(FlowEdge(from: FlowEndpoint(node: lateNode.id, port: output.name), to: FlowEndpoint(node: earlyNode.id, port: input.name)))
            }
            return "back edge"
        case 1:
            document.nodes.append(FlowNode(id: "second_trigger", type: "manual"))
            return "second trigger (unconnected)"
        case 2:
            document.nodes.removeFirst()
            return "no trigger"
        case 3:
            document.edges.append(FlowEdge(from: FlowEndpoint(node: "node_0", port: "message"), to: FlowEndpoint(node: "missing", port: "input")))
            return "dangling edge"
        case 4 where count > 1:
            let index = int(1...(count - 1))
            document.nodes[index].settings["zzz"] = 1
            return "unknown setting"
        case 5:
            let index = int(0...(count - 1))
            document.nodes[index].version = 9
            return "unknown version"
        case 6:
            document.nodes.append(FlowNode(id: "node_0", type: "text.template", settings: ["template": "x"]))
            return "duplicate id"
        case 7 where !document.edges.isEmpty:
            document.edges.append(document.edges[int(0...(document.edges.count - 1))])
            return "duplicate edge"
        default:
            document.nodes.append(FlowNode(id: "island", type: "text.template", settings: ["template": "x"]))
            return "unreachable processor (warning only)"
        }
    }

    /// Settings that satisfy `type`'s schema and rules, with optional ones
    /// present at random.
    mutating func validSettings(for type: NodeType, index: Int) -> [String: JSONValue] {
        var settings: [String: JSONValue] = [:]
        for spec in type.settings.settings where spec.required || chance(0.5) {
            settings[spec.key] = validValue(spec.type, key: spec.key)
        }
        for rule in type.settings.rules {
            switch rule {
            case .itemsNeedOneOf(let list, let fields):
                settings[list] = settings[list]?.arrayValue.map { items in
                    .array(items.map { item in
                        guard var members = item.objectValue else { return item }
                        if !fields.contains(where: { members[$0] != nil }), let field = fields.first,
                            let spec = Self.itemSpecs(type, list).first(where: { $0.key == field })
                        {
                            members[field] = validValue(spec.type, key: field)
                        }
                        return .object(members)
                    })
                }
            case .uniqueItemField(let list, let field, _):
                settings[list] = settings[list]?.arrayValue.map { items in
                    .array(items.enumerated().map { position, item in
                        guard var members = item.objectValue else { return item }
                        members[field] = .string("branch_\(position)")
                        return .object(members)
                    })
                }
            case .requiredUnless(let setting, let other, let values):
                if let choice = settings[other]?.stringValue, !values.contains(choice), settings[setting] == nil {
                    settings[setting] = "x"
                }
            case .numericWhen(let setting, let other, let values):
                if let choice = settings[other]?.stringValue, values.contains(choice) { settings[setting] = 10 }
            }
        }
        return settings
    }

    static func itemSpecs(_ type: NodeType, _ list: String) -> [SettingSpec] {
        guard case .list(let item, _, _, _)? = type.settings.spec(list)?.type, case .object(let specs) = item else { return [] }
        return specs
    }

    mutating func validValue(_ type: SettingType, key: String) -> JSONValue {
        switch type {
        case .string(let minLength, let maxLength, let format):
            let text: String
            switch format {
            case .plain: text = pick(["hello", "Hallo Welt", "ünïcödé"])
            case .template: text = pick(["{{input}}", "Hi {{ message.from.username }}!", "plain text", "{\"a\": {{json.x}}}"])
            case .regex: text = pick(["^hi", "(yes|no)\\b", "\\d{3}", "colou?r"])
            case .httpURL: text = pick(["https://example.com/hook", "http://203.0.113.5:8080/x?q={{input}}"])
            case .headerName: text = pick(["X-Trace", "Accept", "x_custom"])
            case .headerValue: text = pick(["v", "Bearer {{json.token}}"])
            case .portName: text = "p\(int(0...9))"
            case .fieldPath: text = pick(["message.text", "json.user.id", "text"])
            case .modelName: text = pick(["gpt-4o-mini", "whisper-1", "llama3.1:8b"])
            case .languageCode: text = pick(["en", "pt-BR", "deu"])
            case .numericID: text = String(int(1...999_999))
            }
            // Fit the bounds (plain strings of the lengths the schema wants).
            if text.unicodeScalars.count < minLength || text.unicodeScalars.count > maxLength {
                return .string(String(repeating: "a", count: max(minLength, 1)))
            }
            return .string(text)
        case .integer(let minimum, let maximum):
            return .integer(Int64.random(in: minimum...maximum, using: &rng))
        case .number(let minimum, let maximum):
            return chance(0.3) ? .integer(Int64(minimum.rounded(.up))) : .number(Double.random(in: minimum...maximum, using: &rng))
        case .boolean:
            return .bool(chance(0.5))
        case .enumeration(let values):
            return .string(pick(values))
        case .credential(let kind):
            let ids = FlowFixtures.credentials.filter { $0.value == kind }.map(\.key).sorted()
            if purpose == .save, chance(0.2) { return .null }
            return .string(chance(0.5) ? pick(ids) : pick(ids).uppercased())
        case .scalar:
            return pick(["abc", 3, 2.5, true])
        case .list(let item, let minItems, let maxItems, let uniqueItems):
            let count = int(minItems...min(maxItems, max(minItems, 3)))
            if uniqueItems, case .enumeration(let values) = item {
                return .array(values.shuffled(using: &rng).prefix(min(count, values.count)).map(JSONValue.string))
            }
            var items: [JSONValue] = []
            for position in 0..<count {
                var value = validValue(item, key: key)
                if uniqueItems, case .string(let text) = value { value = .string("\(text)\(position)") }
                items.append(value)
            }
            return .array(items)
        case .object(let specs):
            var members: [String: JSONValue] = [:]
            for spec in specs where spec.required || chance(0.5) {
                members[spec.key] = validValue(spec.type, key: spec.key)
            }
            return .object(members)
        }
    }
}
