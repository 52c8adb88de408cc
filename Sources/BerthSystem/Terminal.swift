import CBerth
import Glibc

/// Pseudo-terminals and the console-socket handoff that runc callers use.
public enum Terminal {
    /// Opens a new pty pair through `ptmx` (the container's `/dev/ptmx` once its devpts is
    /// mounted); returns the master, the slave and the slave's name.
    public static func openPTY(ptmx: String = "/dev/ptmx") throws(SyscallError) -> (master: Int32, slave: Int32, name: String) {
        let master = try sys("open", ptmx) { Glibc.open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC) }
        var unlock: Int32 = 0
        var number: Int32 = 0
        do throws(SyscallError) {
            try sys("ioctl(TIOCSPTLCK)", ptmx) { berth_ioctl_ptr(master, berth_TIOCSPTLCK, &unlock) }
            try sys("ioctl(TIOCGPTN)", ptmx) { berth_ioctl_ptr(master, berth_TIOCGPTN, &number) }
        } catch {
            Glibc.close(master)
            throw error
        }
        let name = "/dev/pts/\(number)"
        let slave = Glibc.open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)
        if slave < 0 {
            let e = currentErrno()
            Glibc.close(master)
            throw SyscallError("open", name, errno: e)
        }
        return (master, slave, name)
    }

    /// Makes `slave` the controlling terminal and stdio of this (session-leader) process.
    public static func become(slave: Int32) throws(SyscallError) {
        for target in Int32(0)...2 {
            try sys("dup2", "stdio") { dup2(slave, target) }
        }
        try sys("ioctl(TIOCSCTTY)") { berth_ioctl_int(0, berth_TIOCSCTTY, 0) }
    }

    /// Clears ONLCR: a new pty turns every "\n" the process writes into "\r\n", which a
    /// caller reading the output of a relayed terminal sees as a stray `^M` at each line's
    /// end (runc clears it on the pty it relays, so `-t` output compares equal).
    public static func clearONLCR(_ fd: Int32) throws(SyscallError) {
        var settings = termios()
        try sys("tcgetattr", "pty") { tcgetattr(fd, &settings) }
        settings.c_oflag &= ~tcflag_t(ONLCR)
        try sys("tcsetattr", "pty") { tcsetattr(fd, TCSANOW, &settings) }
    }

    /// Gives the calling process's stdio to `uid`, as runc does before it switches to a
    /// non-root user, so the process can use its terminal (and reopen its stdio through
    /// `/dev/stdout`, which needs the inode's permission): the pty when `terminal`, and
    /// pipes and sockets. The group stays (the pty's is devpts' `gid=5`, the tty group).
    /// Host files, devices and terminals berth did not make are never changed. A
    /// descriptor the user namespace cannot change (EINVAL, EPERM) or on a read-only
    /// file system is left as it is, as runc leaves it.
    public static func giveStdio(to uid: UInt32, terminal: Bool) throws(SyscallError) {
        for fd in Int32(0)...2 {
            var st = stat()
            guard fstat(fd, &st) == 0, st.st_uid != uid else { continue }
            let type = st.st_mode & S_IFMT
            let ours = terminal ? type == S_IFCHR && isatty(fd) == 1 : type == S_IFIFO || type == S_IFSOCK
            guard ours else { continue }
            if fchown(fd, uid, st.st_gid) != 0 {
                let e = currentErrno()
                if e == .invalidArgument || e == .notPermitted || e == .readOnlyFileSystem { continue }
                throw SyscallError("fchown", "stdio \(fd)", errno: e)
            }
        }
    }

    /// Sets the window size of a terminal.
    public static func setSize(_ fd: Int32, rows: UInt16, cols: UInt16) {
        _ = berth_set_winsize(fd, rows, cols)
    }

    /// Connects to the caller's console socket (a unix stream socket).
    public static func connectConsoleSocket(_ path: String) throws(SyscallError) -> Int32 {
        try UnixSocket.connect(path)
    }

    /// Sends the pty master over the console socket: one SCM_RIGHTS message, one fd,
    /// the pty name as payload.
    public static func sendMaster(_ master: Int32, name: String, over socket: Int32) throws(SyscallError) {
        try UnixSocket.send(Array(name.utf8), fd: master, over: socket, path: "console socket")
    }
}

extension Terminal {
    /// Copies the window size of terminal `source` to `target` (TIOCGWINSZ, TIOCSWINSZ);
    /// nothing when `source` is not a terminal.
    public static func copyWindowSize(from source: Int32, to target: Int32) {
        var size = [UInt16](repeating: 0, count: 4)
        if berth_ioctl_ptr(source, berth_TIOCGWINSZ, &size) == 0 {
            _ = berth_ioctl_ptr(target, berth_TIOCSWINSZ, &size)
        }
    }
}

extension Terminal {
    /// The window size of a terminal (TIOCGWINSZ); zeros when `fd` is not one.
    public static func windowSize(_ fd: Int32) -> (rows: UInt16, cols: UInt16) {
        var size = [UInt16](repeating: 0, count: 4)
        guard berth_ioctl_ptr(fd, berth_TIOCGWINSZ, &size) == 0 else { return (0, 0) }
        return (size[0], size[1])
    }
}
