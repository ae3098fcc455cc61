import Fluent
import Foundation
import SMFCore
import SMFFakes
import SMFSecurity
import SQLKit
import Testing
import VaporTesting
@testable import SMFServer

/// Each webhook endpoint authenticates with its platform's mechanism, fails
/// closed, never echoes what it expected, refuses oversized and malformed
/// bodies, and stores a retried event once.
@Suite("Webhook security", .serialized)
struct WebhookSecurityTests {
    /// Deploys the keyword flow; returns the path and Telegram's secret token.
    private func telegramEndpoint(_ app: Application, _ fakes: FakePlatforms) async throws -> (RunFixtures, String, String) {
        let run = try await RunFixtures.make(app, fakes)
        let (_, deployed) = try await run.deploy(RunFlows.keywordReply(bot: run.bot))
        let path = try #require((deployed["webhook"] as? [String: Any])?["path"] as? String)
        let secret = try #require(fakes.telegram.webhookCalls.all.last?.secretToken)
        return (run, path, secret)
    }

    private func post(_ app: Application, _ path: String, headers: HTTPHeaders, body: ByteBuffer) async throws -> TestingHTTPResponse {
        var all = headers
        if all.first(name: .contentType) == nil { all.add(name: .contentType, value: "application/json") }
        return try await app.testing().sendRequest(.POST, path, headers: all, body: body)
    }

    private func eventCount(_ app: Application) async throws -> Int {
        try await WebhookEvent.query(on: app.db).count()
    }

    @Test func telegram_secret_token_is_required_and_never_echoed() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let (_, path, secret) = try await telegramEndpoint(app, fakes)
            let body = jsonBody(RunFlows.telegramUpdate(id: 10, text: "hi"))
            let missing = try await post(app, path, headers: [:], body: body)
            let wrong = try await post(app, path, headers: ["X-Telegram-Bot-Api-Secret-Token": "A" + secret.dropFirst()], body: body)
            let twice = try await post(app, path, headers: [
                "X-Telegram-Bot-Api-Secret-Token": secret, "x-telegram-bot-api-secret-token": secret,
            ], body: body)
            for refused in [missing, wrong, twice] {
                #expect(refused.status == .forbidden)
                #expect(refused.headers.contentType?.subType == "problem+json")
                #expect(!String(buffer: refused.body).contains(secret))
            }
            #expect(try await eventCount(app) == 0)
            let good = try await post(app, path, headers: ["X-Telegram-Bot-Api-Secret-Token": secret], body: body)
            #expect(good.status == .ok)
            #expect(try await eventCount(app) == 1)
        }
    }

    @Test func telegram_retry_of_the_same_update_is_stored_once() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let (_, path, secret) = try await telegramEndpoint(app, fakes)
            let headers: HTTPHeaders = ["X-Telegram-Bot-Api-Secret-Token": secret]
            let first = try await post(app, path, headers: headers, body: jsonBody(RunFlows.telegramUpdate(id: 77, text: "price")))
            let again = try await post(app, path, headers: headers, body: jsonBody(RunFlows.telegramUpdate(id: 77, text: "price")))
            #expect(first.json["accepted"] as? Int == 1)
            #expect(again.status == .ok)
            #expect(again.json["duplicates"] as? Int == 1)
            #expect(try await eventCount(app) == 1)
            #expect(try await Execution.query(on: app.db).count() == 1)
            #expect(try await app.execution.queue.depth()[.queued] == 1)
        }
    }

    @Test func unknown_endpoint_is_404_and_malformed_or_oversized_bodies_are_refused() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let (_, path, secret) = try await telegramEndpoint(app, fakes)
            let headers: HTTPHeaders = ["X-Telegram-Bot-Api-Secret-Token": secret]
            let unknown = try await post(app, "/hooks/telegram/" + OpaqueToken.generate(), headers: headers,
                                         body: jsonBody(RunFlows.telegramUpdate(id: 1, text: "x")))
            #expect(unknown.status == .notFound)
            let junkToken = try await post(app, "/hooks/telegram/..%2f..%2fetc", headers: headers, body: ByteBuffer(string: "{}"))
            #expect(junkToken.status == .notFound)
            let malformed = try await post(app, path, headers: headers, body: ByteBuffer(string: #"{"update_id": 1, "message": "#))
            #expect(malformed.status == .badRequest)
            #expect(malformed.headers.contentType?.subType == "problem+json")
            let notAnUpdate = try await post(app, path, headers: headers, body: ByteBuffer(string: #"{"hello": 1}"#))
            #expect(notAnUpdate.status == .badRequest)
            var big = ByteBuffer()
            big.writeString(#"{"update_id": 5, "message": {"chat": {"id": 1}, "text": ""#)
            big.writeString(String(repeating: "a", count: app.smf.config.webhookMaxBodyBytes))
            big.writeString(#""}}"#)
            let oversized = try await post(app, path, headers: headers, body: big)
            #expect(oversized.status == .payloadTooLarge)
            // Over a real socket too, where the route's collect limit applies.
            var wire = headers
            wire.add(name: .contentType, value: "application/json")
            let onTheWire = try await live(app).sendRequest(.POST, path, headers: wire, body: big)
            #expect(onTheWire.status == .payloadTooLarge)
            #expect(try await eventCount(app) == 0)
        }
    }

    @Test func meta_signature_is_checked_over_the_raw_bytes() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let run = try await RunFixtures.make(app, fakes)
            let (_, deployed) = try await run.deploy(RunFlows.commentToPrivateReply(instagram: run.instagram, llm: run.llm))
            let path = try #require((deployed["webhook"] as? [String: Any])?["path"] as? String)
            let body = MetaWebhook.commentPayload(accountID: fakes.igUserID, .init(id: "1801", text: "café ☕", fromID: "9"))
            let signature = MetaWebhook.signature(body: body, appSecret: run.appSecret)
            // The same JSON re-serialised (é and ☕ as UTF-8, not \u escapes) no longer verifies.
            let reserialised = try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: Data(body)))
            let cases: [(HTTPHeaders, [UInt8], HTTPResponseStatus)] = [
                ([:], body, .forbidden),
                (["X-Hub-Signature-256": "sha256=" + String(repeating: "0", count: 64)], body, .forbidden),
                (["X-Hub-Signature-256": signature.replacingOccurrences(of: "sha256=", with: "sha1=")], body, .forbidden),
                (["X-Hub-Signature-256": signature], Array(reserialised), .forbidden),
                (["X-Hub-Signature-256": MetaWebhook.signature(body: body, appSecret: "not-the-app-secret")], body, .forbidden),
            ]
            for (headers, payload, status) in cases {
                let response = try await post(app, path, headers: headers, body: ByteBuffer(bytes: payload))
                #expect(response.status == status)
                #expect(!String(buffer: response.body).contains(signature.dropFirst(7)))
            }
            #expect(try await eventCount(app) == 0)
            let good = try await post(app, path, headers: ["X-Hub-Signature-256": signature], body: ByteBuffer(bytes: body))
            #expect(good.status == .ok)
            let replay = try await post(app, path, headers: ["X-Hub-Signature-256": signature], body: ByteBuffer(bytes: body))
            #expect(replay.json["duplicates"] as? Int == 1)
            #expect(try await eventCount(app) == 1)
        }
    }

    @Test func meta_handshake_echoes_the_challenge_only_for_the_right_verify_token() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let run = try await RunFixtures.make(app, fakes)
            let (_, deployed) = try await run.deploy(RunFlows.commentToPrivateReply(instagram: run.instagram, llm: run.llm))
            let path = try #require((deployed["webhook"] as? [String: Any])?["path"] as? String)
            let good = try await app.testing().sendRequest(
                .GET, path + "?" + MetaWebhook.verificationQuery(verifyToken: run.verifyToken, challenge: "1158201444"))
            #expect(good.status == .ok)
            #expect(String(buffer: good.body) == "1158201444")
            #expect(good.headers.contentType?.type == "text")
            for query in [MetaWebhook.verificationQuery(verifyToken: "wrong", challenge: "1158201444"),
                          MetaWebhook.verificationQuery(verifyToken: run.verifyToken, challenge: "1158201444", mode: "unsubscribe"),
                          MetaWebhook.verificationQuery(verifyToken: run.verifyToken, challenge: "<script>")] {
                let refused = try await app.testing().sendRequest(.GET, path + "?" + query)
                #expect(refused.status == .forbidden)
                #expect(!String(buffer: refused.body).contains(run.verifyToken))
                #expect(!String(buffer: refused.body).contains("1158201444"))
            }
        }
    }

    @Test func generic_webhook_needs_a_fresh_hmac_and_deduplicates_by_event_id() async throws {
        let clock = ManualClock()
        let fakes = try await FakePlatforms.start()
        defer { fakes.stopDetached() }
        try await withTestApp({ fakes.configure(&$0) }, clock: clock.clock) { app in
            let run = try await RunFixtures.make(app, fakes)
            let document: [String: Any] = [
                "nodes": [
                    ["id": "in", "type": "webhook.generic", "version": 1, "settings": [String: Any]()],
                    ["id": "out", "type": "webhook.respond", "version": 1, "settings": ["body": "{{message.text}}"]],
                ],
                "edges": [["from": ["node": "in", "port": "message"], "to": ["node": "out", "port": "input"]]],
            ]
            let (_, deployed) = try await run.deploy(document)
            let webhook = try #require(deployed["webhook"] as? [String: Any])
            let path = try #require(webhook["path"] as? String)
            let secret = try #require(webhook["signing_secret"] as? String)
            let body = Array(#"{"text": "order 42"}"#.utf8)
            let now = Int64(clock.clock.now().timeIntervalSince1970)
            let fresh = GenericWebhookSignature.sign(body: body, secret: secret, timestamp: now)
            let stale = GenericWebhookSignature.sign(body: body, secret: secret, timestamp: now - 301)
            for headers: HTTPHeaders in [[:], ["SMF-Signature": stale], ["SMF-Signature": fresh.replacingOccurrences(of: "v1=", with: "v1=0")]] {
                let refused = try await post(app, path, headers: headers, body: ByteBuffer(bytes: body))
                #expect(refused.status == .forbidden)
                #expect(!String(buffer: refused.body).contains(fresh))
            }
            let headers: HTTPHeaders = ["SMF-Signature": fresh, "SMF-Event-Id": "order-42"]
            let first = try await post(app, path, headers: headers, body: ByteBuffer(bytes: body))
            let replayed = try await post(app, path, headers: headers, body: ByteBuffer(bytes: body))
            #expect(first.json["accepted"] as? Int == 1)
            #expect(replayed.json["duplicates"] as? Int == 1)
            let badID = try await post(app, path, headers: ["SMF-Signature": fresh, "SMF-Event-Id": "bad id!"], body: ByteBuffer(bytes: body))
            #expect(badID.status == .badRequest)
            // The secret is shown once: a redeploy does not repeat it.
            let flow = try #require(deployed["id"] as? String)
            let etag = try #require(deployed["etag"] as? String)
            let again = try await run.flows.send(.POST, "\(run.flows.base)/\(flow)/deploy", ifMatch: etag, body: ["version": 1])
            #expect((again.json["webhook"] as? [String: Any])?["signing_secret"] == nil)
            #expect((again.json["webhook"] as? [String: Any])?["path"] as? String == path)
        }
    }

    @Test func endpoint_secrets_are_stored_sealed() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let (_, _, secret) = try await telegramEndpoint(app, fakes)
            let endpoint = try #require(try await WebhookEndpoint.query(on: app.db).first())
            let sealed = try #require(endpoint.sealedSecret)
            #expect(!sealed.contains(secret))
            #expect(sealed.hasPrefix("v1."))
        }
    }

    @Test func webhook_rate_limit_is_per_client_address_whatever_token_is_presented() async throws {
        let fakes = try await FakePlatforms.start()
        defer { fakes.stopDetached() }
        try await withTestApp({ config in
            fakes.configure(&config)
            config.rateLimits[.webhook] = RateLimitPolicy(name: "webhook", limit: 3, periodMilliseconds: 3_600_000, burst: 3)
        }) { app in
            var statuses: [HTTPResponseStatus] = []
            for _ in 0..<5 {
                // A made-up bearer token each time must not buy a fresh bucket.
                let response = try await live(app).sendRequest(
                    .POST, "/hooks/telegram/" + OpaqueToken.generate(),
                    headers: ["Authorization": "Bearer " + OpaqueToken.generate(), "Content-Type": "application/json"],
                    body: ByteBuffer(string: "{}"))
                statuses.append(response.status)
            }
            #expect(statuses == [.notFound, .notFound, .notFound, .tooManyRequests, .tooManyRequests])
        }
    }

    @Test func endpoint_secrets_follow_an_encryption_key_rotation() async throws {
        try await FakePlatforms.withApp { app, fakes in
            let (_, path, secret) = try await telegramEndpoint(app, fakes)
            let token = String(path.split(separator: "/").last ?? "")
            let oldKey = try #require(app.smf.config.encryptionKey)
            let newKey = CredentialFixtures.key()
            let ring = SecretBox(current: .init(material: newKey), previous: [.init(material: oldKey)])
            guard let sql = app.db as? any SQLDatabase else { throw SMFError.internalError }
            let report = try await EncryptionKeyRotation(box: ring).run(on: sql, progress: { _ in })
            #expect(report.isComplete)
            // Only the new key now: the endpoint's secret still opens and still matches.
            let newOnly = EndpointSecrets(vault: CredentialVault(box: SecretBox(current: .init(material: newKey))))
            let record = try #require(try await WebhookEndpointRecord.find(kind: .telegram, token: token, on: app.db))
            #expect(newOnly.open(record) == secret)
            #expect(record.sealedSecret.flatMap(SecretBox.keyID(of:)) == ring.current.id)
        }
    }
}
