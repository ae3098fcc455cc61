// zlib through swift-nio-extras' vendored copy (`CNIOExtrasZlib`, the module
// Vapor's HTTP compression is built on, so it is already compiled and linked
// into every build): Foundation has no compression API on Linux, and a
// system-library target or another package would add a build dependency for
// two functions. The module is a transitive dependency, not a product we
// declare; if it ever disappears the build fails here, loudly.
import CNIOExtrasZlib

/// Streaming zlib (deflate) compression or decompression with a fixed
/// 64 KiB output buffer.
final class ZlibStream {
    enum Mode { case compress, decompress }

    private let mode: Mode
    private let stream: UnsafeMutablePointer<cnioextras_z_stream>
    private var output = [UInt8](repeating: 0, count: 64 << 10)
    /// Decompression: the end of the compressed stream was reached.
    private(set) var isFinished = false

    init(_ mode: Mode) throws {
        self.mode = mode
        // zlib keeps a pointer back to the stream, so it must not move.
        stream = .allocate(capacity: 1)
        stream.initialize(to: cnioextras_z_stream())
        let rc: Int32 = switch mode {
        case .compress:
            CNIOExtrasZlib_deflateInit2(stream, 6, CNIOEXTRAS_Z_DEFLATED, 15, 8, CNIOEXTRAS_Z_DEFAULT_STRATEGY)
        case .decompress:
            CNIOExtrasZlib_inflateInit2(stream, 15)
        }
        guard rc == CNIOEXTRAS_Z_OK else {
            stream.deallocate()
            throw BackupError.io("zlib could not be initialised (\(rc))")
        }
    }

    deinit {
        switch mode {
        case .compress: _ = cnioextras_z_deflateEnd(stream)
        case .decompress: _ = cnioextras_z_inflateEnd(stream)
        }
        stream.deallocate()
    }

    /// Feeds `input` (compress: `finish` ends the stream) and hands every
    /// produced piece to `sink`.
    func process(_ input: UnsafeRawBufferPointer, finish: Bool = false, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.next_in = base.map { UnsafeMutablePointer(mutating: $0) }
        stream.pointee.avail_in = UInt32(input.count)
        defer { stream.pointee.next_in = nil; stream.pointee.avail_in = 0 }
        let capacity = output.count
        while true {
            if mode == .decompress && isFinished {
                if stream.pointee.avail_in > 0 { throw BackupError.damaged("data after the end of the compressed dump") }
                return
            }
            let (rc, produced): (Int32, Int) = output.withUnsafeMutableBytes { buffer in
                stream.pointee.next_out = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = UInt32(capacity)
                let rc = switch mode {
                case .compress: cnioextras_z_deflate(stream, finish ? CNIOEXTRAS_Z_FINISH : CNIOEXTRAS_Z_NO_FLUSH)
                case .decompress: cnioextras_z_inflate(stream, CNIOEXTRAS_Z_NO_FLUSH)
                }
                return (rc, capacity - Int(stream.pointee.avail_out))
            }
            if produced > 0 {
                try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0.prefix(produced))) }
            }
            switch rc {
            case CNIOEXTRAS_Z_STREAM_END:
                if mode == .decompress { isFinished = true; continue }
                return
            case CNIOEXTRAS_Z_OK:
                // More output pending, or (compress without finish) all input taken.
                if produced < capacity && stream.pointee.avail_in == 0 && !(mode == .compress && finish) { return }
            case CNIOEXTRAS_Z_BUF_ERROR:
                // No progress possible: all input consumed and output flushed.
                if stream.pointee.avail_in == 0 { return }
                throw BackupError.damaged("the compressed dump is corrupt")
            default:
                throw mode == .compress ? BackupError.io("zlib compression failed (\(rc))") : BackupError.damaged("the compressed dump is corrupt")
            }
        }
    }
}
