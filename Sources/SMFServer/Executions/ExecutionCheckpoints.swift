import Foundation
import SMFCore

/// What survives a crash of the worker running an execution (the
/// `checkpoints` column): the finished steps with their outputs, so a
/// retried execution skips them, and the actions whose call had started.
///
/// An action found in `effectsStarted` but not in `completed` was cut off
/// between its request and our record of the answer: the platform may or
/// may not have acted. Telegram and the Graph API take no idempotency key,
/// so the retry repeats the call (at-least-once) and the step says so.
/// The window is one HTTP round trip; slow LLM calls, where crashes land
/// most of the time, sit before it and are safe to repeat.
struct ExecutionCheckpoints: Codable, Sendable {
    var completed: [String: CompletedStep] = [:]
    var effectsStarted: Set<String> = []

    static func decode(_ text: String) -> ExecutionCheckpoints {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return (try? decoder.decode(ExecutionCheckpoints.self, from: Data(text.utf8))) ?? ExecutionCheckpoints()
    }

    func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    enum CodingKeys: String, CodingKey {
        case completed
        case effectsStarted = "effects_started"
    }
}
