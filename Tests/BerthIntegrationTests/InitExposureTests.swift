// A created container's init is a copy of the runtime until it execs: its /proc/<pid>/exe
// is the host binary and it holds host descriptors. Another container sharing its pid
// namespace must not reach either (CVE-2019-5736 class).
import Foundation
import Testing

@Suite("Created init exposure")
struct InitExposureTests {
    @Test("a created init's exe and fds are not readable from another container in its pid namespace")
    func createdInitIsNotDumpable() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.mountOut()
        s.bundle.config.shell(
            """
            while [ ! -e /srv/go ]; do sleep 0.05; done
            for p in /proc/[0-9]*; do echo "== $p"; readlink $p/exe 2>&1; ls -l $p/fd/ 2>&1; done > /srv/report
            touch /srv/done; sleep 100
            """)
        _ = try s.createdInitBesideDetached()

        _ = FileManager.default.createFile(atPath: s.out + "/go", contents: nil)
        #expect(s.waitForOutFile("done") != nil)
        let report = Host.readFile(s.out + "/report") ?? ""
        #expect(report.contains("== /proc/"), "\(report)")
        #expect(!report.contains(Host.binary), "the runtime binary is reachable:\n\(report)")
        #expect(!report.contains(s.root), "the state directory is reachable:\n\(report)")
    }
}
