// The name (comm) of an exec'd process is the one runc gives it, the last component of
// the path it ran (`sh` for busybox's sh link, not `busybox`), while berth still executes
// the file it checked, not whatever the path names at execve (EscapeTests races that).
import Foundation
import Testing

@Suite("exec process name")
struct ExecNameTests {
    @Test("berth exec ID sh -c ...: comm is sh, by PATH and by path, foreground and detached; ps finds it by that name")
    func comm() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.shell("sleep 1000")
        try s.bundle.write()
        let id = s.newID()
        #expect(s.berth(["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
        for command in ["sh", "/bin/sh"] {
            // Two commands, so the shell does not exec the last one in its own place.
            let r = s.berth(["exec", id, command, "-c", "cat /proc/$$/comm; true"])
            #expect(r.stdout == "sh\n", "\(command): \(r)")
        }
        let pidFile = s.dir + "/exec.pid"
        #expect(s.berth(["exec", "-d", "--pid-file", pidFile, id, "sleep", "999"]).status == 0)
        let pid = try #require(Int32(Host.readFile(pidFile) ?? ""))
        #expect(Host.readFile("/proc/\(pid)/comm") == "sleep\n")
        #expect(Host.readLink("/proc/\(pid)/exe")?.hasSuffix("/bin/busybox") == true, "the checked file ran")
        // The container's own sleep and the exec'd one.
        let found = s.berth(["exec", id, "sh", "-c", "ps -o comm | grep -cx sleep"])
        #expect(found.stdout == "2\n", "\(found)")
        // A user's exec is named the same way.
        let user = s.berth(["exec", "--user", "1000", id, "sh", "-c", "cat /proc/$$/comm; true"])
        #expect(user.stdout == "sh\n", "\(user)")
    }

    @Test("without /proc in the container, exec still runs the checked file")
    func noProc() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config.removeMount("/proc")
        s.bundle.config["linux.maskedPaths"] = []
        s.bundle.config["linux.readonlyPaths"] = []
        s.bundle.config.shell("sleep 1000")
        try s.bundle.write()
        let id = s.newID()
        #expect(s.berth(["run", "-d", "--bundle", s.bundle.path, id]).status == 0)
        let r = s.berth(["exec", id, "sh", "-c", "echo ran"])
        #expect(r.status == 0 && r.stdout == "ran\n", "\(r)")
    }
}
