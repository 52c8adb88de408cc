import Berth
import Glibc

/// runc-style logging: errors always to stderr as one line; with `--log`, also to the
/// file, as `{"level":"error","msg":...,"time":...}` lines with `--log-format json` (what
/// podman and containerd parse) or logfmt-like text lines. Warnings and, with `--debug`,
/// debug lines go to the log file, or to stderr when there is none.
struct Logger: Sendable {
    let fd: Int32
    let json: Bool
    let debugEnabled: Bool

    init(options: GlobalOptions) {
        json = options.logFormat == "json"
        debugEnabled = options.debug
        if let path = options.log {
            // runc creates the log file even when nothing is logged.
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        } else {
            fd = -1
        }
    }

    func error(_ message: String) {
        // The library's helper reports its error to the library instead; its stderr may
        // be the container's.
        if !ContainerRuntime.runsAsLibraryHelper {
            let line = "berth: " + message + "\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
        }
        log("error", message)
    }

    /// To the log file; without one, to stderr as `berth: warning: ...`.
    func warning(_ message: String) {
        if fd >= 0 {
            log("warning", message)
        } else {
            let line = "berth: warning: " + message + "\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
        }
    }

    /// The message is built only with --debug.
    func debug(_ message: @autoclosure () -> String) { if debugEnabled { log("debug", message(), orStderr: true) } }

    /// Now, in UTC to the second, as runc's logrus lines carry it: `2026-11-22T20:33:25Z`.
    static func timestamp() -> String {
        var now = time(nil)
        var fields = tm()
        gmtime_r(&now, &fields)
        var buf = [CChar](repeating: 0, count: 32)
        let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%SZ", &fields)
        return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func log(_ level: String, _ message: String, orStderr: Bool = false) {
        let fd = self.fd >= 0 ? self.fd : (orStderr ? 2 : -1)
        guard fd >= 0 else { return }
        let time = Self.timestamp()
        let line: String
        if json {
            line = "{\"level\":\"\(level)\",\"msg\":\(JSONText.quote(message)),\"time\":\"\(time)\"}\n"
        } else {
            line = "time=\"\(time)\" level=\(level) msg=\(JSONText.quote(message))\n"
        }
        _ = line.withCString { write(fd, $0, strlen($0)) }
    }
}
