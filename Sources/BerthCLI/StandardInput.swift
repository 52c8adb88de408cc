import Berth
import Glibc

/// berth's own standard input (`update --resources -`).
enum StandardInput {
    /// Everything up to end of file.
    static func readAll() throws(BerthError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(0, &chunk, chunk.count)
            if n == 0 { return bytes }
            if n < 0 {
                if errno == EINTR { continue }
                throw BerthError(.system, "read stdin: " + String(cString: strerror(errno)).lowercased(), errno: errno)
            }
            bytes += chunk[0..<n]
        }
    }
}
