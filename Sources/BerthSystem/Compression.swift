import CZlib
import CZstd

/// The compressions of OCI layer blobs: gzip (zlib) and zstd, streamed. Output depends
/// on the input only (gzip's header carries no time or name), so a layer compresses to
/// the same bytes every time.
public enum Compression: String, Sendable, CaseIterable {
    case gzip
    case zstd

    /// The compression whose magic number `bytes` start with, if any.
    public static func detect(_ bytes: [UInt8]) -> Compression? {
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b { return .gzip }
        if bytes.count >= 4 && bytes[0] == 0x28 && bytes[1] == 0xb5 && bytes[2] == 0x2f && bytes[3] == 0xfd { return .zstd }
        return nil
    }
}

/// A compression error: the library's own words.
public struct CompressionError: Error, Sendable {
    public let message: String
}

/// One stream, compressing or decompressing: feed `update`, then `finish`.
public final class CompressionStream {
    private enum State {
        case zlib(UnsafeMutablePointer<z_stream>)
        case zstdCompress(OpaquePointer)
        case zstdDecompress(OpaquePointer)
    }
    private let state: State
    private let compressing: Bool
    /// Decompressing: the end of the compressed stream was seen.
    private var ended = false
    private static let chunk = 1 << 16
    /// gzip: deflateInit2's windowBits for a gzip wrapper; inflate also takes zlib.
    private static let gzipWindow: Int32 = 15 + 16

    public init(_ kind: Compression, compress: Bool) throws(CompressionError) {
        compressing = compress
        switch kind {
        case .gzip:
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            let size = Int32(MemoryLayout<z_stream>.size)
            let r =
                compress
                ? deflateInit2_(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, Self.gzipWindow, 8, Z_DEFAULT_STRATEGY, zlibVersion(), size)
                : inflateInit2_(stream, Self.gzipWindow, zlibVersion(), size)
            guard r == Z_OK else {
                stream.deallocate()
                throw CompressionError(message: "gzip: cannot start (zlib error \(r))")
            }
            state = .zlib(stream)
        case .zstd:
            if compress {
                guard let c = ZSTD_createCCtx() else { throw CompressionError(message: "zstd: cannot start") }
                state = .zstdCompress(c)
            } else {
                guard let d = ZSTD_createDCtx() else { throw CompressionError(message: "zstd: cannot start") }
                state = .zstdDecompress(d)
            }
        }
    }

    deinit {
        switch state {
        case .zlib(let s):
            if compressing { deflateEnd(s) } else { inflateEnd(s) }
            s.deallocate()
        case .zstdCompress(let c): ZSTD_freeCCtx(c)
        case .zstdDecompress(let d): ZSTD_freeDCtx(d)
        }
    }

    /// Takes `input`; returns what the stream has ready.
    public func update(_ input: [UInt8]) throws(CompressionError) -> [UInt8] {
        try run(input, end: false)
    }

    /// Ends the stream; returns the rest.
    public func finish() throws(CompressionError) -> [UInt8] {
        try run([], end: true)
    }

    private func run(_ input: [UInt8], end: Bool) throws(CompressionError) -> [UInt8] {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: Self.chunk)
        var input = input
        var failure: CompressionError?
        input.withUnsafeMutableBufferPointer { inBuf in
            buffer.withUnsafeMutableBufferPointer { outBuf in
                switch state {
                case .zlib(let s):
                    s.pointee.next_in = inBuf.baseAddress
                    s.pointee.avail_in = uInt(inBuf.count)
                    while true {
                        s.pointee.next_out = outBuf.baseAddress
                        s.pointee.avail_out = uInt(outBuf.count)
                        let r = compressing ? deflate(s, end ? Z_FINISH : Z_NO_FLUSH) : inflate(s, Z_NO_FLUSH)
                        output.append(contentsOf: outBuf[0..<(outBuf.count - Int(s.pointee.avail_out))])
                        if r == Z_STREAM_END {
                            ended = true
                            return
                        }
                        // Z_BUF_ERROR: no progress possible now (more input is needed).
                        if r == Z_BUF_ERROR { break }
                        guard r == Z_OK else {
                            failure = CompressionError(message: "gzip: " + (s.pointee.msg.map { String(cString: $0) } ?? "data error \(r)"))
                            return
                        }
                        // Everything taken and the output not full: nothing more to come now.
                        if s.pointee.avail_out != 0 && s.pointee.avail_in == 0 && !(compressing && end) { break }
                    }
                    if end && !ended { failure = CompressionError(message: "gzip: the stream ends early") }
                case .zstdCompress(let c):
                    var inb = ZSTD_inBuffer(src: UnsafeRawPointer(inBuf.baseAddress), size: inBuf.count, pos: 0)
                    while true {
                        var outb = ZSTD_outBuffer(dst: UnsafeMutableRawPointer(outBuf.baseAddress), size: outBuf.count, pos: 0)
                        let left = ZSTD_compressStream2(c, &outb, &inb, end ? ZSTD_e_end : ZSTD_e_continue)
                        if ZSTD_isError(left) != 0 {
                            failure = CompressionError(message: "zstd: " + String(cString: ZSTD_getErrorName(left)))
                            return
                        }
                        output.append(contentsOf: outBuf[0..<outb.pos])
                        if end ? left == 0 : inb.pos == inb.size { return }
                    }
                case .zstdDecompress(let d):
                    var inb = ZSTD_inBuffer(src: UnsafeRawPointer(inBuf.baseAddress), size: inBuf.count, pos: 0)
                    while true {
                        var outb = ZSTD_outBuffer(dst: UnsafeMutableRawPointer(outBuf.baseAddress), size: outBuf.count, pos: 0)
                        let r = ZSTD_decompressStream(d, &outb, &inb)
                        if ZSTD_isError(r) != 0 {
                            failure = CompressionError(message: "zstd: " + String(cString: ZSTD_getErrorName(r)))
                            return
                        }
                        output.append(contentsOf: outBuf[0..<outb.pos])
                        if r == 0 { ended = true }
                        if inb.pos == inb.size && outb.pos < outb.size {
                            if end && !ended { failure = CompressionError(message: "zstd: the stream ends early") }
                            return
                        }
                    }
                }
            }
        }
        if let failure { throw failure }
        return output
    }
}
