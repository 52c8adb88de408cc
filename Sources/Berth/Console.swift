import BerthSpec
import BerthSystem
import Glibc

/// The container's terminal: a pty made inside the container (on its own devpts), its
/// master handed to the caller over the console socket, its slave the process's
/// controlling terminal, stdio and `/dev/console`.
struct Console {
    let socketFD: Int32
    let consoleSize: Box?

    /// Makes the pty; `ownsDevConsole` (the container's own process, not an exec) also
    /// binds it over /dev/console.
    func attach(process: Process, ownsDevConsole: Bool = true) throws {
        guard socketFD >= 0 else { throw InitError("process.terminal is set but there is no console socket") }
        let pty = try Terminal.openPTY()
        if let size = consoleSize {
            Terminal.setSize(pty.slave, rows: UInt16(truncatingIfNeeded: size.height), cols: UInt16(truncatingIfNeeded: size.width))
        }
        if ownsDevConsole && FileIO.exists("/dev/console") {
            try? Mount.mount(source: pty.name, target: "/dev/console", type: nil, flags: UInt(MS_BIND))
        }
        try Terminal.sendMaster(pty.master, name: pty.name, over: socketFD)
        close(pty.master)
        close(socketFD)
        try Terminal.become(slave: pty.slave)
        if pty.slave > 2 { close(pty.slave) }
    }
}
