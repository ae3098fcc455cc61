import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a host name into addresses. Behind a protocol so the SSRF guard can
/// be tested with names that "resolve" to any address, without DNS.
public protocol HostResolver: Sendable {
    func resolve(_ host: String) async throws -> [IPAddress]
}

/// Why a look-up failed. Logged by the caller; never shown to users (the
/// guard turns every failure into one fixed message).
public struct HostResolutionError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case notFound
        case timedOut
        /// A `getaddrinfo` error code (`EAI_*`).
        case failed(Int32)
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .notFound: "host not found"
        case .timedOut: "look-up timed out"
        case .failed(let code): "getaddrinfo failed (\(code))"
        }
    }
}

/// The system resolver (`getaddrinfo`: /etc/hosts, then DNS, as configured).
///
/// `getaddrinfo` blocks its thread for as long as DNS takes. Run on the
/// cooperative pool, a few slow look-ups would starve every task in the
/// process, so it runs on a dedicated dispatch queue and the caller awaits a
/// continuation. `timeout` bounds the wait: after it the caller gets
/// `.timedOut` while the look-up finishes (and is discarded) in the background.
public struct SystemHostResolver: HostResolver {
    public let timeout: Duration

    private static let queue = DispatchQueue(label: "smf.outbound.dns", attributes: .concurrent)

    public init(timeout: Duration = .seconds(5)) {
        self.timeout = timeout
    }

    public func resolve(_ host: String) async throws -> [IPAddress] {
        let components = timeout.components
        let nanoseconds = max(0, components.seconds) * 1_000_000_000 + components.attoseconds / 1_000_000_000
        return try await withCheckedThrowingContinuation { continuation in
            let once = ResumeOnce(continuation)
            Self.queue.async { once.resume(with: Result { try Self.lookUp(host) }) }
            Self.queue.asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: nanoseconds))) {
                once.resume(with: .failure(HostResolutionError(.timedOut)))
            }
        }
    }

    /// Blocking; only ever called on `queue`.
    static func lookUp(_ host: String) throws -> [IPAddress] {
        // A NUL would silently cut the name short on its way to C.
        guard !host.isEmpty, !host.utf8.contains(0) else { throw HostResolutionError(.notFound) }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            throw HostResolutionError(status == EAI_NONAME ? .notFound : .failed(status))
        }
        defer { freeaddrinfo(list) }

        var addresses: [IPAddress] = []
        var entry = list
        while let info = entry?.pointee {
            defer { entry = info.ai_next }
            guard let socketAddress = info.ai_addr else { continue }
            var bytes: [UInt8]?
            switch info.ai_family {
            case AF_INET:
                bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                }
            case AF_INET6:
                bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
            default:
                break
            }
            if let bytes, let address = IPAddress(bytes: bytes), !addresses.contains(address) {
                addresses.append(address)
            }
        }
        guard !addresses.isEmpty else { throw HostResolutionError(.notFound) }
        return addresses
    }
}

/// Resumes a continuation exactly once, whichever of the look-up and the
/// timer finishes first.
private final class ResumeOnce: Sendable {
    private let continuation: Mutex<CheckedContinuation<[IPAddress], any Error>?>

    init(_ continuation: CheckedContinuation<[IPAddress], any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with result: Result<[IPAddress], any Error>) {
        let pending = continuation.withLock { stored in
            defer { stored = nil }
            return stored
        }
        pending?.resume(with: result)
    }
}

/// A fixed table of names to addresses, for tests. Names are matched
/// case-insensitively and without a trailing dot; unknown names fail with
/// `.notFound`.
public struct StaticHostResolver: HostResolver {
    public let table: [String: [IPAddress]]

    public init(_ table: [String: [IPAddress]]) {
        self.table = Dictionary(table.map { (OutboundURLPolicy.normaliseHost($0.key), $0.value) },
                                uniquingKeysWith: +)
    }

    public func resolve(_ host: String) async throws -> [IPAddress] {
        guard let addresses = table[OutboundURLPolicy.normaliseHost(host)], !addresses.isEmpty else {
            throw HostResolutionError(.notFound)
        }
        return addresses
    }
}
