// /dev inside the container: the default devices, pts/ptmx/shm, the fd symlinks, and
// devices from linux.devices.
import Foundation
import Testing

@Suite("Devices")
struct DeviceTests {
    @Test("default character devices with their major:minor")
    func defaultDevices() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let expected = ["null": "1:3", "zero": "1:5", "full": "1:7", "random": "1:8", "urandom": "1:9", "tty": "5:0"]
        let r = try s.sh(expected.keys.sorted().map { "stat -c '%n %F %t:%T %a' /dev/\($0)" }.joined(separator: "; "))
        #expect(r.status == 0, "\(r)")
        for (name, mm) in expected {
            #expect(r.stdout.lines.contains("/dev/\(name) character special file \(mm) 666"), "\(name): \(r)")
        }
        // They work.
        let w = try s.sh("echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c && (echo x > /dev/full) 2>&1; true")
        #expect(w.stdout.lines.prefix(2) == ["4", "4"], "\(w)")
        #expect(w.stdout.contains("No space left on device"), "\(w)")
    }

    @Test("/dev/pts, /dev/ptmx, /dev/shm, /dev/fd and the stdio links")
    func devLayout() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = try s.sh(
            """
            stat -c '%n %F' /dev/pts /dev/shm; stat -L -c '%n %F %t:%T' /dev/ptmx
            for l in fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done
            """)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        #expect(lines.contains("/dev/pts directory"), "\(r)")
        #expect(lines.contains("/dev/shm directory"), "\(r)")
        #expect(lines.contains("/dev/ptmx character special file 5:2"), "\(r)")
        #expect(lines.contains("fd -> /proc/self/fd"), "\(r)")
        #expect(lines.contains("stdin -> /proc/self/fd/0"), "\(r)")
        #expect(lines.contains("stdout -> /proc/self/fd/1"), "\(r)")
        #expect(lines.contains("stderr -> /proc/self/fd/2"), "\(r)")
    }

    @Test("a device from linux.devices is created with its type, numbers and mode")
    func configDevice() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        s.bundle.config["linux.devices"] = [
            ["path": "/dev/mydev", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640, "uid": 0, "gid": 0],
            ["path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666, "uid": 0, "gid": 0],
        ]
        let r = try s.sh("stat -c '%n %F %t:%T %a %u:%g' /dev/mydev /dev/fuse; echo hi > /dev/mydev; echo rc=$?")
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.lines
        #expect(lines.contains("/dev/mydev character special file 1:3 640 0:0"), "\(r)")
        // stat prints major:minor in hex: 10:229 is a:e5.
        #expect(lines.contains("/dev/fuse character special file a:e5 666 0:0"), "\(r)")
        #expect(lines.contains("rc=0"), "writing to the allowed device failed: \(r)")
    }

    @Test("the device cgroup denies devices that are not allowed")
    func deviceCgroupDenies() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        // /dev/mydev2 is 1:3 again would be allowed (default rule); a made-up disk is not.
        s.bundle.config["linux.devices"] = [
            ["path": "/dev/blk", "type": "b", "major": 7, "minor": 200, "fileMode": 0o600]
        ]
        s.bundle.config["linux.resources.devices"] = [
            ["allow": false, "access": "rwm"],
            ["allow": false, "type": "b", "major": 7, "minor": 200, "access": "rwm"],
        ]
        let r = try s.sh("stat -c '%F %t:%T' /dev/blk; head -c 1 /dev/blk 2>&1; echo rc=$?")
        #expect(r.stdout.lines.first == "block special file 7:c8", "\(r)")
        #expect(r.stdout.contains("Operation not permitted"), "\(r)")
        #expect(r.stdout.contains("rc=1"), "\(r)")
    }

    @Test("the /dev links are runc's: fd, stdin, stdout, stderr, and core only where the host has /proc/kcore")
    func devLinks() throws {
        let s = try Sandbox(); defer { s.cleanup() }
        let r = try s.sh("for l in fd stdin stdout stderr core; do [ -L /dev/$l ] && echo $l=$(readlink /dev/$l); done; true")
        #expect(r.status == 0, "\(r)")
        var expected = ["fd=/proc/self/fd", "stdin=/proc/self/fd/0", "stdout=/proc/self/fd/1", "stderr=/proc/self/fd/2"]
        if FileManager.default.fileExists(atPath: "/proc/kcore") { expected.append("core=/proc/kcore") }
        #expect(r.stdout.lines == expected, "\(r)")
    }
}
