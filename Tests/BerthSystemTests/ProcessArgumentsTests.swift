import BerthSystem
import Glibc
import Testing

/// The arguments kept from glibc's start-up are the process's own: the same as the Swift
/// runtime's `CommandLine.arguments` (the test binary keeps the runtime's reader) and as
/// /proc/self/cmdline, byte for byte.
@Suite struct ProcessArgumentsTests {
    @Test("ProcessArguments.current is the process's argv, as CommandLine and /proc/self/cmdline give it")
    func sameAsTheRuntimeAndTheKernel() throws {
        let arguments = ProcessArguments.current()
        #expect(!arguments.isEmpty)
        #expect(arguments == CommandLine.arguments)
        let fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            try #require(n >= 0)
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        let fromKernel = bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
            String(decoding: $0, as: UTF8.self)
        }
        #expect(arguments == Array(fromKernel))
    }
}
