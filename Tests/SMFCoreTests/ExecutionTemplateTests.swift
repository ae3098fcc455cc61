import Foundation
import Testing
import SMFCore

/// Template rendering: names, paths, missing values, no injection.
@Suite struct ExecutionTemplateTests {
    typealias X = ExecFixtures

    func render(_ template: String, inputs: [PortValue] = [.text("in")], message: JSONValue = X.message) -> String {
        TemplateRenderer(inputs: inputs, message: message).render(template)
    }

    @Test func input_and_message_fields() {
        #expect(render("{{input}} / {{message.text}} / {{ message.from.username }}") == "in / Hello there / ada")
        #expect(render("{{text}}") == "in")
        #expect(render("id {{message.chat.id}}") == "id 42")
    }

    @Test func nested_paths_and_array_indices() {
        #expect(render("{{message.from.tags.1}}") == "y")
        #expect(render("{{message.from}}") == #"{"id":7,"tags":["x","y"],"username":"ada"}"#)
        #expect(render("{{json.items.0.title}}", inputs: [.json(["items": [["title": "first"]]])]) == "first")
        #expect(render("{{json.chat.id}}", inputs: [.message(X.message)]) == "42")
        #expect(render("{{message.n}} {{message.f}} {{message.b}}", message: ["n": 2.5, "f": 3.0, "b": true]) == "2.5 3 true")
    }

    @Test func missing_fields_render_empty() {
        #expect(render("[{{message.nope}}][{{message.from.tags.9}}][{{unknown}}][{{input.3}}][{{message.text.deeper}}]") == "[][][][][]")
        #expect(render("[{{message.x}}]", message: ["x": nil]) == "[]")
    }

    @Test func multiple_inputs() {
        let inputs: [PortValue] = [.text("a"), .text("b")]
        #expect(render("{{input}}", inputs: inputs) == "a\nb")
        #expect(render("{{input.1}}-{{input.0}}", inputs: inputs) == "b-a")
        #expect(render("{{input}}", inputs: []) == "")
    }

    @Test func substituted_values_are_not_rendered_again() {
        // A user writes a placeholder into their message: it stays text.
        let message: JSONValue = ["text": "{{message.secret}} {{input}}", "secret": "s3cr3t"]
        let output = render("You said: {{message.text}}", inputs: [.text("x")], message: message)
        #expect(output == "You said: {{message.secret}} {{input}}")
        #expect(render("{{input}}", inputs: [.text("{{message.secret}}")], message: message) == "{{message.secret}}")
    }

    @Test func malformed_braces_stay_literal() {
        #expect(render(#"{"a": {"b": 1}}"#) == #"{"a": {"b": 1}}"#)
        #expect(render("{{ not closed") == "{{ not closed")
        #expect(render("{{1bad}} {{input}}") == "{{1bad}} in")
        #expect(render("{{ {{input}}") == "{{ in")
    }

    @Test func escape_applies_to_values_only() {
        let renderer = TemplateRenderer(inputs: [.text("a b&c")], message: X.message)
        let escaped = renderer.render("https://x.test/q?s={{input}}&u={{message.from.username}}") {
            $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        }
        #expect(escaped == "https://x.test/q?s=a%20b%26c&u=ada")
    }

    @Test func port_value_conversions_follow_can_feed() throws {
        let message = PortValue.message(["text": "hi", "media": ["url": "https://m/1.ogg", "mime_type": "audio/ogg", "byte_size": 5]])
        #expect(try message.feeding(.text) == .text("hi"))
        #expect(try message.feeding(.json) == .json(message.jsonValue))
        #expect(try message.feeding(.media) == .media(MediaReference(url: "https://m/1.ogg", mimeType: "audio/ogg", byteSize: 5)))
        #expect(try PortValue.message([:]).feeding(.text) == .text(""))
        #expect(try PortValue.json(["b": 1, "a": [true]]).feeding(.text) == .text(#"{"a":[true],"b":1}"#))
        #expect(try PortValue.json("plain").feeding(.text) == .text("plain"))
        // An Instagram comment's media is the post, not an attachment.
        #expect(throws: PortValueError.self) { try PortValue.message(["media": ["id": "1"]]).feeding(.media) }
        #expect(throws: PortValueError.self) { try PortValue.text("x").feeding(.json) }
        #expect(throws: PortValueError.self) { try PortValue.json([:]).feeding(.media) }
        // Exactly the pairs PortType.canFeed allows.
        let samples: [PortValue] = [message, .text("t"), .json(1), .media(MediaReference(url: "u", mimeType: "m"))]
        for value in samples {
            for target in PortType.allCases {
                let converts = (try? value.feeding(target)) != nil
                #expect(converts == value.portType.canFeed(target), "\(value.portType) → \(target)")
            }
        }
    }
}
