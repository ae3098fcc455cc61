import Vapor

/// Every request gets an id, echoed in `X-Request-ID` and attached to every
/// log line of the request.
///
/// A client-supplied id is kept only if it matches `[A-Za-z0-9._-]{1,64}`:
/// anything else could smuggle CR/LF or markup into logs and headers.
enum RequestID {
    static let headerName = "X-Request-ID"

    /// Accepts the client's id or makes one, and stores it on the request and its logger.
    static func assign(to request: Request) -> String {
        let id = request.headers.first(name: headerName).flatMap { isAcceptable($0) ? $0 : nil } ?? generate()
        request.requestID = id
        request.logger[metadataKey: "request_id"] = .string(id)
        request.logger[metadataKey: "request-id"] = nil
        return id
    }

    static func isAcceptable(_ value: String) -> Bool {
        guard (1...64).contains(value.utf8.count) else { return false }
        return value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// 128 random bits as 32 hex characters.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
