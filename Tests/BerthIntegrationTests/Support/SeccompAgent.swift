// A seccomp notify listener for the SCMP_ACT_NOTIFY tests: a small python3 program (the
// test target has no C, and ioctl is variadic, so Swift cannot call it). It listens on a
// unix socket, takes one connection carrying the container process state JSON and the
// listener fd (SCM_RIGHTS), then answers each notification by syscall number: an errno,
// or "continue" (SECCOMP_USER_NOTIF_FLAG_CONTINUE). Every step is logged as a JSON line.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

final class SeccompAgent {
    let socketPath: String
    let logPath: String
    let process: Spawned

    static let python = "/usr/bin/python3"

    /// x86_64 syscall numbers the tests trap.
    enum Syscall {
        static let mkdir = 83, chmod = 90, mkdirat = 258, fchmodat = 268, fchmodat2 = 452
    }

    enum Answer: CustomStringConvertible {
        case errno(Int32)
        case `continue`
        var description: String {
            switch self {
            case .errno(let e): return "err:\(e)"
            case .continue: return "continue"
            }
        }
    }

    static let script = #"""
        import fcntl, json, os, select, socket, struct, sys
        sock_path, log_path = sys.argv[1], sys.argv[2]
        rules = {}
        for arg in sys.argv[3:]:
            nr, answer = arg.split("=", 1)
            rules[int(nr)] = answer
        RECV, SEND, CONTINUE = 0xc0502100, 0xc0182101, 1
        log = open(log_path, "a", buffering=1)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(sock_path)
        srv.listen(4)
        log.write(json.dumps({"event": "listening"}) + "\n")
        conn, _ = srv.accept()
        msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
        conn.close()
        log.write(json.dumps({"event": "received", "fds": len(fds), "state": json.loads(msg)}) + "\n")
        fd = fds[0]
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while True:
            events = poller.poll()
            if not any(e & select.POLLIN for _, e in events):
                break  # POLLHUP: every process under the filter is gone
            notif = bytearray(80)
            try:
                fcntl.ioctl(fd, RECV, notif)
            except OSError:
                continue  # the caller died before we read it
            nid, pid, _ = struct.unpack_from("QII", notif, 0)
            nr = struct.unpack_from("i", notif, 16)[0]
            answer = rules.get(nr, "continue")
            if answer == "continue":
                resp = struct.pack("QqiI", nid, 0, 0, CONTINUE)
            else:
                resp = struct.pack("QqiI", nid, 0, -int(answer.split(":")[1]), 0)
            try:
                fcntl.ioctl(fd, SEND, bytearray(resp))
            except OSError as e:
                answer += " (send failed: %d)" % e.errno
            log.write(json.dumps({"event": "notification", "nr": nr, "pid": pid, "answer": answer}) + "\n")
        log.write(json.dumps({"event": "done"}) + "\n")
        """#

    /// Starts the agent in `dir` and waits until it listens.
    init(dir: String, answers: [Int: Answer]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            throw TestSetupError("\(Self.python) is missing: the seccomp notify tests need it (make test installs python3)")
        }
        let scriptPath = dir + "/seccomp-agent.py"
        try Host.write(scriptPath, Self.script)
        socketPath = dir + "/agent.sock"
        logPath = dir + "/agent.log"
        let rules = answers.map { "\($0.key)=\($0.value)" }
        process = try Runner.spawn(Self.python, [scriptPath, socketPath, logPath] + rules, ioDir: dir)
        guard Host.waitUntil(timeout: 30, { self.events.contains { $0["event"] as? String == "listening" } }) else {
            process.signal(SIGKILL)
            throw TestSetupError("the seccomp agent did not start: \(process.wait(timeout: 5))")
        }
    }

    /// The log, one object per line.
    var events: [[String: Any]] {
        (Host.readFile(logPath) ?? "").lines.compactMap { Host.parseJSON($0) as? [String: Any] }
    }

    /// The container process state the agent received with the fd, once it has.
    func receivedState(timeout: Double = 30) -> [String: Any]? {
        var found: [String: Any]?
        Host.waitUntil(timeout: timeout) {
            found = self.events.first { $0["event"] as? String == "received" }
            return found != nil
        }
        return found
    }

    var notifications: [[String: Any]] { events.filter { $0["event"] as? String == "notification" } }

    /// Waits for the agent to see every filtered process gone, then for it to exit.
    func finish(timeout: Double = 30) -> ProcResult { process.wait(timeout: timeout) }

    func stop() { process.signal(SIGKILL); _ = process.wait(timeout: 5) }
}
