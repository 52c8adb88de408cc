import BerthSpec
import BerthSystem
import Glibc

/// The `NOTIFY_SOCKET` proxy (systemd's readiness protocol), as runc does it: the
/// container gets its own datagram socket, bound in the state directory and
/// bind-mounted read-only at /run/notify; once the container says `READY=1`, berth tells
/// the caller's socket `READY=1` and `MAINPID=<init pid>`.
enum NotifySocket {
    static let directory = "notify"
    static let socketName = "notify.sock"
    static let pathInContainer = "/run/notify/notify.sock"

    /// Adds the mount and the environment variable to the container's spec.
    static func prepare(_ spec: inout Spec, stateDirectory: String) throws(BerthError) {
        let dir = stateDirectory + "/" + directory
        if mkdir(dir, 0o755) != 0 && currentErrno() != .fileExists {
            throw BerthError.system("create notify socket directory", SyscallError("mkdir", dir, errno: currentErrno()))
        }
        var mounts = spec.mounts ?? []
        mounts.append(
            Mount(
                destination: "/run/notify", type: "bind", source: dir,
                options: ["bind", "nosuid", "noexec", "nodev", "ro"]))
        spec.mounts = mounts
        let env = spec.process?.env ?? []
        spec.process?.env = env + ["NOTIFY_SOCKET=" + pathInContainer]
    }

    /// Binds the container's socket (before the container's process starts, so no
    /// message is lost); the returned descriptor is what `forward` waits on.
    static func bind(stateDirectory: String) throws(BerthError) -> Int32 {
        let path = stateDirectory + "/" + directory + "/" + socketName
        unlink(path)
        do throws(SyscallError) {
            let fd = try sys("socket", path) { socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            var (addr, length) = try address(path)
            let r = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
            }
            if r != 0 {
                let e = currentErrno()
                close(fd)
                throw SyscallError("bind", path, errno: e)
            }
            // Any container uid may write to it.
            chmod(path, 0o777)
            return fd
        } catch { throw BerthError.system("bind notify socket", error) }
    }

    /// Reads the container's messages until one holds `READY=1` (true), or the
    /// container's init exits first (false); forwards readiness to `host`.
    static func forward(from fd: Int32, initPidfd: Int32, initPID: Int32, to host: String) -> Bool {
        while true {
            var fds = [
                pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: initPidfd, events: Int16(POLLIN), revents: 0),
            ]
            let r = poll(&fds, 2, -1)
            if r < 0 { if currentErrno() == .interrupted { continue } else { return false } }
            if fds[0].revents & Int16(POLLIN) != 0, handle(fd, initPID: initPID, host: host) { return true }
            if fds[1].revents != 0 { return false }
        }
    }

    /// Handles one pending datagram; true when it carried readiness (now forwarded).
    static func handle(_ fd: Int32, initPID: Int32, host: String) -> Bool {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT))
        guard n > 0 else { return false }
        let text = String(decoding: buf[0..<n], as: UTF8.self)
        guard text.split(separator: "\n").contains("READY=1") else { return false }
        send(Array("READY=1\nMAINPID=\(initPID)\n".utf8), to: host)
        return true
    }

    private static func send(_ message: [UInt8], to host: String) {
        // An abstract socket is written with a leading "@".
        guard let fd = try? sys("socket", host, { socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }) else { return }
        defer { close(fd) }
        guard let (address, length) = try? address(host) else { return }
        var addr = address
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), $0, length)
            }
        }
    }

    /// The address and its length; an abstract name counts only its own bytes.
    private static func address(_ path: String) throws(SyscallError) -> (sockaddr_un, socklen_t) {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw SyscallError("bind", path, errno: .fileNameTooLong)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let abstract = bytes.first == 0
        let length = abstract ? MemoryLayout<sa_family_t>.size + bytes.count : MemoryLayout<sockaddr_un>.size
        return (addr, socklen_t(length))
    }
}
