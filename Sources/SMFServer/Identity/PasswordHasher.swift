import NIOConcurrencyHelpers
import SMFSecurity
import Vapor

/// bcrypt on its own thread pool, never on an event loop (0.24 s at cost 12,
/// DESIGN pitfall 4) and never on the application's pool: sqlite-nio runs
/// queries there, and a burst of sign-ins would queue every database call
/// (and `/readyz`) behind password hashes. Inputs go through
/// `PasswordPolicy.bcryptInput`, so passwords longer than bcrypt's 72 bytes
/// do not collide on their prefix.
struct PasswordHasher: Sendable {
    let cost: Int
    let threadPool: NIOThreadPool

    func hash(_ password: String) async throws -> String {
        let input = String(decoding: PasswordPolicy.bcryptInput(password), as: UTF8.self)
        let cost = self.cost
        return try await threadPool.runIfActive { try Bcrypt.hash(input, cost: cost) }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        let input = String(decoding: PasswordPolicy.bcryptInput(password), as: UTF8.self)
        return try await threadPool.runIfActive { try Bcrypt.verify(input, created: hash) }
    }

    /// Spends the same time as a real verification, for unknown accounts, so
    /// that response time does not reveal whether an email is registered.
    func verifyDummy(_ password: String) async throws {
        _ = try await verify(password, against: try await dummyHash())
    }

    private static let dummyHashes = NIOLockedValueBox<[Int: String]>([:])

    private func dummyHash() async throws -> String {
        if let cached = Self.dummyHashes.withLockedValue({ $0[cost] }) { return cached }
        let made = try await hash(OpaqueToken.generate())
        Self.dummyHashes.withLockedValue { $0[cost] = made }
        return made
    }
}
