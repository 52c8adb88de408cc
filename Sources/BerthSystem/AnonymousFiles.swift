import CBerth
import Glibc

extension FileIO {
    /// pipe2(O_CLOEXEC): the read and write ends.
    public static func pipe() throws(SyscallError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        try sys("pipe2") { berth_pipe_cloexec(&fds) }
        return (fds[0], fds[1])
    }

    /// memfd_create(MFD_CLOEXEC): a file in memory, on no filesystem; `name` shows in
    /// /proc/<pid>/fd only.
    public static func memoryFile(named name: String) throws(SyscallError) -> Int32 {
        try sys("memfd_create", name) { berth_memfd(name) }
    }
}
