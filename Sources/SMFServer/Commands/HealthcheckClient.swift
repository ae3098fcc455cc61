import AsyncHTTPClient
import NIOCore

/// The client behind `smflow healthcheck`, so the container image needs no
/// curl: ready means `/readyz` answered 200 within the timeout.
public enum HealthcheckClient {
    public enum Outcome: Sendable, Equatable {
        case ready
        case notReady(status: UInt)
        case unreachable
    }

    public static func check(url: String, timeout: Duration = .seconds(3)) async -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
            return response.status == .ok ? .ready : .notReady(status: response.status.code)
        } catch {
            return .unreachable
        }
    }
}
