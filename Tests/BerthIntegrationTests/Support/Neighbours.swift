// Two containers in one pid namespace: the setting of the CVE-2019-5736 class tests.
import Foundation
import Testing

extension Sandbox {
    /// Runs the default bundle detached, then creates (does not start) a second container
    /// joining its pid namespace, whose init is then still a copy of the runtime. Returns
    /// the host pids of the detached container's process and of the created init.
    func createdInitBesideDetached(sourceLocation: SourceLocation = #_sourceLocation) throws -> (detached: Int32, created: Int32) {
        try bundle.write()
        let pidFile = dir + "/pid-detached"
        let run = berth(["run", "-d", "--pid-file", pidFile, "--bundle", bundle.path, newID("detached")])
        #expect(run.status == 0, "\(run)", sourceLocation: sourceLocation)
        let detached = try #require(Int32(Host.readFile(pidFile) ?? ""), sourceLocation: sourceLocation)
        let b = try newBundle("beside")
        b.config.setNamespace("pid", path: "/proc/\(detached)/ns/pid")
        b.config.shell("true")
        try b.write()
        let createdPidFile = dir + "/pid-created"
        let create = berth(["create", "--pid-file", createdPidFile, "--bundle", b.path, newID("created")])
        #expect(create.status == 0, "\(create)", sourceLocation: sourceLocation)
        let created = try #require(Int32(Host.readFile(createdPidFile) ?? ""), sourceLocation: sourceLocation)
        return (detached, created)
    }
}
