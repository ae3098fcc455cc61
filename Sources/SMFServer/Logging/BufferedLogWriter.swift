import Foundation
import Synchronization

/// Writes log lines to standard error in batches: lines are appended to a
/// buffer and a background thread writes it every 20 ms. One `write(2)` per
/// request under a lock was most of what the access log cost
/// (benchmarks/RESULTS.md). Lines at warning and above are written at once,
/// with everything before them, and `flush()` runs at shutdown, so at most
/// ~20 ms of info lines can be lost if the process is killed with SIGKILL.
public final class BufferedLogWriter: Sendable {
    public static let standardError = BufferedLogWriter(fileDescriptor: 2)

    private let fileDescriptor: Int32
    private let buffer = Mutex<[UInt8]>([])
    private let started = Mutex<Bool>(false)
    /// Above this many bytes a writer flushes inline rather than let memory grow.
    private let highWater = 1 << 20

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    public func write(_ line: String, urgent: Bool) {
        startIfNeeded()
        let pending = buffer.withLock { bytes -> Int in
            bytes.append(contentsOf: line.utf8)
            return bytes.count
        }
        if urgent || pending >= highWater { flush() }
    }

    /// Writes everything buffered so far.
    public func flush() {
        let bytes = buffer.withLock { bytes -> [UInt8] in
            defer { bytes.removeAll(keepingCapacity: true) }
            return bytes
        }
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 {
                    if errno == EINTR { continue }
                    return // Nowhere to report a failing log; drop the batch.
                }
                offset += written
            }
        }
    }

    private func startIfNeeded() {
        let first = started.withLock { value -> Bool in
            defer { value = true }
            return !value
        }
        guard first else { return }
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.02)
                flush()
            }
        }
        thread.name = "smflow-log-writer"
        thread.start()
    }
}
