import BerthSpec
import BerthSystem
import Glibc

/// The container's terminal: a pty made inside the container (on its own devpts), its
/// master handed to the caller over the console socket, its slave the process's
/// controlling terminal, stdio and `/dev/console`.
struct Console {
    let socketFD: Int32
    let consoleSize: Box?
    /// berth relays this terminal itself (a foreground run or exec with no console
    /// socket): ONLCR is cleared, as runc clears it on the pty it relays.
    var relayed = false

    /// The parent's side, before the clone: the socket the child sends the pty master
    /// on (the caller's console socket, connected), and with `relay` and no console
    /// socket, a socket pair whose other end berth reads the master from to relay the
    /// terminal itself. -1 where there is none.
    static func endpoints(socketPath: String?, relay: Bool) throws(BerthError) -> (send: Int32, receive: Int32) {
        if let socketPath {
            do throws(SyscallError) { return (try Terminal.connectConsoleSocket(socketPath), -1) } catch {
                throw BerthError.system("connect console socket", error)
            }
        }
        guard relay else { return (-1, -1) }
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw BerthError.system("create console socket", SyscallError("socketpair", errno: currentErrno()))
        }
        return (pair[1], pair[0])
    }

    /// The pty master the child sent on a relay socket, or -1.
    static func receiveMaster(_ socket: Int32) -> Int32 {
        UnixSocket.receiveFD(over: socket)
    }

    /// Makes the pty; `ownsDevConsole` (the container's own process, not an exec) also
    /// binds it over /dev/console.
    func attach(process: Process, ownsDevConsole: Bool = true) throws {
        guard socketFD >= 0 else { throw InitError.spec("process.terminal is set but there is no console socket") }
        let pty = try Terminal.openPTY()
        // Before the master leaves: nothing is written through it yet.
        if relayed { try Terminal.clearONLCR(pty.slave) }
        if let size = consoleSize {
            Terminal.setSize(pty.slave, rows: UInt16(truncatingIfNeeded: size.height), cols: UInt16(truncatingIfNeeded: size.width))
        }
        if ownsDevConsole && FileIO.exists("/dev/console") {
            try? MountTable.mount(source: pty.name, target: "/dev/console", type: nil, flags: UInt(MS_BIND))
        }
        try Terminal.sendMaster(pty.master, name: pty.name, over: socketFD)
        close(pty.master)
        close(socketFD)
        try Terminal.become(slave: pty.slave)
        if pty.slave > 2 { close(pty.slave) }
    }
}
