import BerthSystem
import Glibc
import SystemPackage
import Testing

@Suite struct SystemTests {
    @Test func mountOptionsSplitFlagsPropagationAndData() {
        let o = MountOptions(["nosuid", "ro", "rbind", "rslave", "mode=755", "size=64k", "tmpcopyup"])
        #expect(o.flags & UInt(MS_NOSUID) != 0)
        #expect(o.flags & UInt(MS_RDONLY) != 0)
        #expect(o.isBind && o.isRecursive)
        #expect(o.propagation == [UInt(MS_SLAVE) | UInt(MS_REC)])
        #expect(o.dataString == "mode=755,size=64k")
        #expect(o.copyUp)
        #expect(o.ignored.isEmpty)
    }

    @Test func recursiveAttributesAsRuncParsesThem() {
        let o = MountOptions(["rbind", "rro", "rnosuid", "rnoatime", "rsuid", "x-systemd.automount"])
        #expect(o.recursive.attrSet == MountAttributes.readOnly | MountAttributes.noAtime)
        // An access-time setting goes with the whole access-time field cleared; a later
        // clearing option wins over an earlier setting one.
        #expect(o.recursive.attrClear == MountAttributes.atimeMask | MountAttributes.noSUID)
        #expect(o.flags & UInt(MS_RDONLY) == 0, "rro is not the top-level ro flag")
        #expect(o.ignored == ["x-systemd.automount"])
        #expect(MountOptions(["rrelatime"]).recursive.attrClear == MountAttributes.atimeMask)
    }

    @Test func symfollowIdmapAndClearedFlags() {
        let o = MountOptions(["bind", "nosymfollow", "dev", "idmap"])
        #expect(o.flags & MountTable.noSymfollow != 0)
        #expect(o.clearedFlags == UInt(MS_NODEV))
        #expect(o.idmap == .top)
        #expect(MountOptions(["rbind", "ridmap", "symfollow"]).idmap == .recursive)
        #expect(MountOptions(["symfollow"]).clearedFlags == MountTable.noSymfollow)
        #expect(MountOptions(["defaults"]) == MountOptions())
    }

    @Test func laterOptionWins() {
        let o = MountOptions(["ro", "rw"])
        #expect(o.flags & UInt(MS_RDONLY) == 0)
    }

    @Test func procStatParsesNamesWithSpacesAndParens() throws {
        let line = "4242 (a b) c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10"
        let stat = try #require(ProcStat.parse(Array(line.utf8)))
        #expect(stat.state == "S")
        #expect(stat.parentPID == 1)
        #expect(stat.startTime == 987654)
    }

    @Test func procStatFieldsAndRefusals() throws {
        var fields = (3...52).map { String($0) }
        fields[0] = "Z"
        fields[30] = "4097"  // field 33: signals 1 and 13 ignored
        let full = try #require(ProcStat.parse(Array(("7 (x) " + fields.joined(separator: " ") + "\n").utf8)))
        #expect(full.state == "Z" && full.parentPID == 4 && full.startTime == 22 && full.ignoredSignals == 4097)
        #expect(full.isDead)
        // Twenty fields after the name are the least; without field 33 nothing is ignored.
        let short = try #require(ProcStat.parse(Array(("7 (x)  " + fields[0..<20].joined(separator: "  ")).utf8)))
        #expect(short.startTime == 22 && short.ignoredSignals == 0)
        #expect(ProcStat.parse(Array(("7 (x) " + fields[0..<19].joined(separator: " ")).utf8)) == nil)
        #expect(ProcStat.parse(Array("7 x S 1".utf8)) == nil)
        var bad = fields
        bad[1] = "-1"
        #expect(ProcStat.parse(Array(("7 (x) " + bad.joined(separator: " ")).utf8)) == nil)
        bad = fields
        bad[19] = "18446744073709551616"  // one more than UInt64 holds
        #expect(ProcStat.parse(Array(("7 (x) " + bad.joined(separator: " ")).utf8)) == nil)
        bad = fields
        bad[1] = "2147483648"  // one more than a pid holds
        #expect(ProcStat.parse(Array(("7 (x) " + bad.joined(separator: " ")).utf8)) == nil)
    }

    @Test func errnoTextIsGoWording() {
        #expect(errnoText(Errno(rawValue: ENOENT)) == "no such file or directory")
        #expect(errnoText(Errno(rawValue: EPERM)) == "operation not permitted")
        #expect(errnoText(Errno(rawValue: EIO)) == "input/output error")
        // An initialism keeps its capitals.
        #expect(errnoText(Errno(rawValue: EDOTDOT)) == "RFS specific error")
    }

    @Test func ownStatHasAStartTime() throws {
        let stat = try #require(ProcStat.read(pid: getpid()))
        #expect(stat.startTime > 0)
        #expect(!stat.isDead)
    }

    @Test func rfc3339NanoShape() {
        let t = Clock.rfc3339Nano()
        #expect(t.count == 30)
        #expect(t.hasSuffix("Z"))
        #expect(Array(t)[10] == "T")
        #expect(Array(t)[19] == ".")
    }

    @Test func syscallErrorReadsLikeGo() {
        let e = SyscallError("mount", "/proc", errno: .notPermitted)
        #expect(e.description == "mount /proc: operation not permitted")
    }
}
