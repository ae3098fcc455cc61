import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SMFFakes
@testable import SMFServer
import Synchronization
import Testing

/// The `http.request` fetcher: every hop goes through the vet closure (the
/// SSRF policy), redirects are capped, and the connection goes to the vetted
/// address whatever DNS would say.
@Suite("Guarded HTTP fetcher")
struct GuardedHTTPFetcherTests {
    struct Refused: Error, Equatable {
        let host: String
    }

    /// A stand-in for the SSRF policy: refuses `refusing`, pins everything
    /// else to loopback, and records each URL it was asked about.
    final class Vetter: Sendable {
        let refusing: Set<String>
        let asked = Mutex<[String]>([])

        init(refusing: Set<String> = []) {
            self.refusing = refusing
        }

        var urls: [String] { asked.withLock { $0 } }

        func vet(_ url: String) throws -> VettedTarget {
            asked.withLock { $0.append(url) }
            let parsed = try #require(URL(string: url))
            let host = try #require(parsed.host)
            if refusing.contains(host) { throw Refused(host: host) }
            return VettedTarget(url: url, host: host, port: parsed.port ?? 80, pinnedAddress: "127.0.0.1")
        }
    }

    func fetcher(_ vetter: Vetter, timeout: Duration = .seconds(30), maxResponseBytes: Int = 1 << 20) -> GuardedHTTPFetcher {
        GuardedHTTPFetcher(vet: { try vetter.vet($0) }, timeout: timeout, maxResponseBytes: maxResponseBytes)
    }

    func json(_ body: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
    }

    /// `.invalid` never resolves (RFC 2606): the request can only arrive if
    /// the connection used the vetted address.
    @Test func pinned_address_is_used_for_a_made_up_host() async throws {
        let web = try await FakeWebServer.start()
        let vetter = Vetter()
        let url = "http://api.smflow-test.invalid:\(web.port)/echo"
        let response = try await fetcher(vetter).fetch(.init(method: .POST, url: url, headers: ["X-Custom": "1"],
                                                             body: ByteBuffer(string: "payload")))
        #expect(response.status == .ok)
        #expect(response.redirects == 0)
        #expect(response.finalURL == url)
        let echo = try json(response.body)
        // The Host header still names the host, not the pinned address.
        #expect(echo["host"] as? String == "api.smflow-test.invalid:\(web.port)")
        #expect(echo["method"] as? String == "POST")
        #expect(echo["body"] as? String == "payload")
        #expect((echo["headers"] as? [String: String])?["x-custom"] == "1")
        #expect(vetter.urls == [url])
        await web.stop()
    }

    @Test func every_redirect_hop_is_vetted() async throws {
        let web = try await FakeWebServer.start()
        let vetter = Vetter()
        let base = "http://site.smflow-test.invalid:\(web.port)"
        let response = try await fetcher(vetter).fetch(.init(url: base + "/chain/2"))
        #expect(response.status == .ok)
        #expect(response.redirects == 3)
        #expect(response.finalURL == base + "/echo")
        #expect(vetter.urls == [base + "/chain/2", base + "/chain/1", base + "/chain/0", base + "/echo"])
        #expect(web.hits.all.map(\.path) == ["/chain/2", "/chain/1", "/chain/0", "/echo"])
        await web.stop()
    }

    @Test func more_than_three_redirects_are_refused() async throws {
        let web = try await FakeWebServer.start()
        let vetter = Vetter()
        let base = "http://site.smflow-test.invalid:\(web.port)"
        await #expect(throws: IntegrationError.tooManyRedirects) {
            _ = try await fetcher(vetter).fetch(.init(url: base + "/chain/3"))
        }
        // The first request and three followed redirects; the fourth is not followed.
        #expect(web.hits.all.map(\.path) == ["/chain/3", "/chain/2", "/chain/1", "/chain/0"])
        await web.stop()
    }

    @Test func redirect_into_a_refused_host_stops_before_connecting() async throws {
        let web = try await FakeWebServer.start()
        let vetter = Vetter(refusing: ["metadata.smflow-test.invalid"])
        let target = "http://metadata.smflow-test.invalid:\(web.port)/echo"
        let start = "http://site.smflow-test.invalid:\(web.port)/redirect?to=\(target)"
        await #expect(throws: Refused(host: "metadata.smflow-test.invalid")) {
            _ = try await fetcher(vetter).fetch(.init(url: start))
        }
        #expect(vetter.urls == [start, target])
        #expect(web.hits.all.map(\.path) == ["/redirect"])
        await web.stop()
    }

    @Test func refused_first_hop_sends_nothing() async throws {
        let web = try await FakeWebServer.start()
        let vetter = Vetter(refusing: ["blocked.smflow-test.invalid"])
        await #expect(throws: Refused(host: "blocked.smflow-test.invalid")) {
            _ = try await fetcher(vetter).fetch(.init(url: "http://blocked.smflow-test.invalid:\(web.port)/echo"))
        }
        #expect(web.hits.count == 0)
        await web.stop()
    }

    @Test func vetted_target_for_another_host_is_not_used() async throws {
        let web = try await FakeWebServer.start()
        let wrong = GuardedHTTPFetcher(vet: { url in
            VettedTarget(url: url, host: "other.smflow-test.invalid", port: web.port, pinnedAddress: "127.0.0.1")
        })
        await #expect(throws: IntegrationError.invalidRequest(reason: "the vetted target does not match the URL")) {
            _ = try await wrong.fetch(.init(url: "http://site.smflow-test.invalid:\(web.port)/echo"))
        }
        let unix = GuardedHTTPFetcher(vet: { url in VettedTarget(url: url, host: "x", port: 80, pinnedAddress: "127.0.0.1") })
        await #expect(throws: IntegrationError.invalidRequest(reason: "only http and https URLs can be fetched")) {
            _ = try await unix.fetch(.init(url: "http+unix://%2Ftmp%2Fsock/x"))
        }
        #expect(web.hits.count == 0)
        await web.stop()
    }

    @Test func leaving_the_origin_drops_credentials() async throws {
        let web = try await FakeWebServer.start()
        let vetter = Vetter()
        let headers: HTTPHeaders = ["Authorization": "Bearer user-secret", "X-Api-Key": "key-secret", "Cookie": "a=b",
                                    "Accept": "application/json"]
        let same = "http://a.smflow-test.invalid:\(web.port)"
        let other = "http://b.smflow-test.invalid:\(web.port)"

        let kept = try await fetcher(vetter).fetch(.init(url: same + "/redirect?to=/echo", headers: headers,
                                                         sensitiveHeaderNames: ["X-Api-Key"]))
        let keptEcho = try json(kept.body)
        let keptHeaders = try #require(keptEcho["headers"] as? [String: String])
        #expect(keptHeaders["authorization"] == "Bearer user-secret")
        #expect(keptHeaders["x-api-key"] == "key-secret")

        let dropped = try await fetcher(vetter).fetch(.init(url: same + "/redirect?to=\(other)/echo", headers: headers,
                                                            sensitiveHeaderNames: ["X-Api-Key"]))
        let droppedEcho = try json(dropped.body)
        let droppedHeaders = try #require(droppedEcho["headers"] as? [String: String])
        #expect(droppedHeaders["authorization"] == nil)
        #expect(droppedHeaders["x-api-key"] == nil)
        #expect(droppedHeaders["cookie"] == nil)
        #expect(droppedHeaders["accept"] == "application/json")
        await web.stop()
    }

    @Test func see_other_turns_a_post_into_a_get_without_body() async throws {
        let web = try await FakeWebServer.start()
        let base = "http://site.smflow-test.invalid:\(web.port)"
        let response = try await fetcher(Vetter()).fetch(.init(
            method: .POST, url: base + "/redirect?to=/echo&status=303", headers: ["Content-Type": "text/plain"],
            body: ByteBuffer(string: "form")))
        let echo = try json(response.body)
        #expect(echo["method"] as? String == "GET")
        #expect(echo["body"] as? String == "")

        let kept = try await fetcher(Vetter()).fetch(.init(
            method: .POST, url: base + "/redirect?to=/echo&status=307", body: ByteBuffer(string: "form")))
        let keptEcho = try json(kept.body)
        #expect(keptEcho["method"] as? String == "POST")
        #expect(keptEcho["body"] as? String == "form")
        await web.stop()
    }

    @Test func response_is_bounded_and_deadline_applies() async throws {
        let web = try await FakeWebServer.start()
        let base = "http://site.smflow-test.invalid:\(web.port)"
        await #expect(throws: IntegrationError.responseTooLarge) {
            _ = try await fetcher(Vetter(), maxResponseBytes: 10_000).fetch(.init(url: base + "/stream?bytes=1000000"))
        }
        await #expect(throws: IntegrationError.timeout) {
            _ = try await fetcher(Vetter(), timeout: .milliseconds(300)).fetch(.init(url: base + "/stall"))
        }
        web.release()
        await web.stop()
    }
}
