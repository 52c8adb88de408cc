import FoundationEssentials
import Testing

@testable import BerthSpec

@Suite struct DecodingTests {
    @Test func decodesRuncDefaultConfig() throws {
        let spec = try SpecLoader.decode(Array(runcDefaultConfig.utf8))
        #expect(spec.ociVersion == "1.0.2-dev")
        let process = try #require(spec.process)
        #expect(process.terminal == true)
        #expect(process.user == User(uid: 0, gid: 0))
        #expect(process.args == ["sh"])
        #expect(process.cwd == "/")
        #expect(process.capabilities?.ambient == nil)
        #expect(process.capabilities?.inheritable == nil)
        #expect(process.rlimits == [POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)])
        #expect(process.noNewPrivileges == true)
        #expect(spec.root == Root(path: "rootfs", readonly: true))
        #expect(spec.hostname == "runc")
        #expect(spec.mounts?.count == 7)
        #expect(spec.mounts?[2].options?.last == "gid=5")
        #expect(spec.linux?.resources?.devices == [LinuxDeviceCgroup(allow: false, access: "rwm")])
        #expect(spec.linux?.namespaces?.map(\.kind) == [.pid, .network, .ipc, .uts, .mount])
        #expect(spec.linux?.maskedPaths?.count == 11)
        #expect(spec.linux?.readonlyPaths?.last == "/proc/sysrq-trigger")
    }

    @Test func roundTripsRuncDefaultConfig() throws {
        for text in [runcDefaultConfig, runcRootlessConfig] {
            let spec = try SpecLoader.decode(Array(text.utf8))
            let again = try SpecLoader.decode(try spec.jsonData())
            #expect(again == spec)
            // Same JSON content as runc's file: compare as generic JSON trees.
            #expect(try JSONTree(Data(text.utf8)) == JSONTree(Data(try spec.jsonData())))
        }
    }

    @Test func omitsNilOptionals() throws {
        let spec = Spec(ociVersion: "1.2.0", root: Root(path: "rootfs"))
        let text = String(decoding: try spec.jsonData(pretty: false), as: UTF8.self)
        #expect(text == #"{"ociVersion":"1.2.0","root":{"path":"rootfs"}}"#)
        #expect(!text.contains("null"))
    }

    @Test func ignoresUnknownFields() throws {
        let json = #"""
            {"ociVersion": "1.2.0", "futureField": {"x": [1, 2]},
             "process": {"args": ["true"], "someday": true, "user": {"uid": 5, "gid": 6, "username": "ignored"}},
             "root": {"path": "rootfs", "extra": 1},
             "linux": {"namespaces": [{"type": "pid", "flags": 3}], "windowsThing": null},
             "windows": {"layerFolders": []}}
            """#
        let spec = try SpecLoader.decode(Array(json.utf8))
        #expect(spec.process?.args == ["true"])
        #expect(spec.process?.user == User(uid: 5, gid: 6))
        #expect(spec.linux?.namespaces == [LinuxNamespace(.pid)])
        #expect(spec.root?.path == "rootfs")
    }

    @Test func decodesLenientlyLikeGo() throws {
        let spec = try SpecLoader.decode(Array(#"{"process": {"args": ["sh"]}}"#.utf8))
        #expect(spec.ociVersion == "")
        #expect(spec.process?.user == User(uid: 0, gid: 0))
        #expect(spec.process?.cwd == "/")
        #expect(spec.root == nil)
    }

    @Test func decodesFullLinuxSection() throws {
        let json = #"""
            {"ociVersion": "1.2.0", "root": {"path": "/r"},
             "process": {"args": ["a"], "cwd": "/", "oomScoreAdj": -500,
                         "user": {"uid": 1, "gid": 2, "umask": 18, "additionalGids": [3, 4]},
                         "consoleSize": {"height": 24, "width": 80},
                         "rlimits": [{"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}],
                         "scheduler": {"policy": "SCHED_FIFO", "priority": 10},
                         "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
                         "execCPUAffinity": {"initial": "0-1", "final": "3"}},
             "hooks": {"poststop": [{"path": "/bin/x", "args": ["x"], "timeout": 5}]},
             "annotations": {"a": "b"},
             "linux": {
               "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
               "sysctl": {"net.ipv4.ip_forward": "1"},
               "cgroupsPath": "system.slice:berth:abc",
               "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0}],
               "netDevices": {"eth1": {"name": "net0"}},
               "resources": {
                 "memory": {"limit": 536870912, "swap": -1, "swappiness": 10, "disableOOMKiller": true},
                 "cpu": {"shares": 1024, "quota": -1, "period": 100000, "cpus": "0-3", "idle": 1},
                 "pids": {"limit": 100},
                 "blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 300}],
                             "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}]},
                 "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
                 "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
                 "rdma": {"mlx5_1": {"hcaHandles": 3}},
                 "unified": {"memory.high": "1G"},
                 "devices": [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]
               },
               "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
                           "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
                           "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                                         "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}]},
               "rootfsPropagation": "rslave",
               "timeOffsets": {"monotonic": {"secs": -3, "nanosecs": 5}},
               "personality": {"domain": "LINUX32"},
               "intelRdt": {"closID": "g", "l3CacheSchema": "L3:0=ff"}
             }}
            """#
        let spec = try SpecLoader.decode(Array(json.utf8))
        let process = try #require(spec.process)
        #expect(process.oomScoreAdj == -500)
        #expect(process.user.umask == 18)
        #expect(process.user.additionalGids == [3, 4])
        #expect(process.consoleSize == Box(height: 24, width: 80))
        #expect(process.rlimits?.first?.hard == UInt64.max)
        #expect(process.scheduler?.priority == 10)
        #expect(process.ioPriority == LinuxIOPriority(class: "IOPRIO_CLASS_BE", priority: 4))
        #expect(process.execCPUAffinity == CPUAffinity(initial: "0-1", final: "3"))
        #expect(spec.hooks?.poststop == [Hook(path: "/bin/x", args: ["x"], timeout: 5)])
        let linux = try #require(spec.linux)
        #expect(linux.uidMappings == [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536)])
        #expect(linux.devices?.first == LinuxDevice(path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0))
        #expect(linux.netDevices?["eth1"]?.name == "net0")
        let r = try #require(linux.resources)
        #expect(r.memory?.limit == 536870912)
        #expect(r.memory?.swap == -1)
        #expect(r.memory?.disableOOMKiller == true)
        #expect(r.cpu?.quota == -1)
        #expect(r.cpu?.cpus == "0-3")
        #expect(r.pids?.limit == 100)
        #expect(r.blockIO?.weightDevice?.first?.weight == 300)
        #expect(r.blockIO?.throttleReadBpsDevice?.first?.rate == 1048576)
        #expect(r.hugepageLimits?.first?.pageSize == "2MB")
        #expect(r.network?.priorities?.first?.priority == 500)
        #expect(r.rdma?["mlx5_1"]?.hcaHandles == 3)
        #expect(r.unified?["memory.high"] == "1G")
        #expect(r.devices?.first?.major == 1)
        #expect(linux.seccomp?.syscalls?.first?.args?.first?.op == "SCMP_CMP_EQ")
        #expect(linux.seccomp?.defaultErrnoRet == 1)
        #expect(linux.timeOffsets?["monotonic"] == LinuxTimeOffset(secs: -3, nanosecs: 5))
        #expect(linux.personality?.domain == "LINUX32")
        #expect(linux.intelRdt?.closID == "g")
        // Round trip keeps everything.
        #expect(try SpecLoader.decode(try spec.jsonData()) == spec)
    }

    @Test func stateOmitsNilPid() throws {
        let state = State(id: "abc", status: .created, bundle: "/b")
        let text = String(decoding: try SpecEncoding.encode(state, pretty: false), as: UTF8.self)
        #expect(!text.contains("pid"))
        #expect(text.contains(#""status":"created""#))
        let running = State(id: "abc", status: .running, pid: 42, bundle: "/b", annotations: ["k": "v"])
        let data = try SpecEncoding.encode(running)
        #expect(try SpecLoader.decode(State.self, from: data, fileName: "state.json") == running)
    }

    @Test func featuresRoundTrip() throws {
        let features = Features(
            ociVersionMin: "1.0.0", ociVersionMax: ociSpecVersion, hooks: ["prestart", "poststop"],
            linux: .init(
                namespaces: ["pid"], cgroup: .init(v1: true, v2: true),
                seccomp: .init(enabled: true, actions: ["SCMP_ACT_ALLOW"]),
                mountExtensions: .init(idmap: .init(enabled: false))))
        let data = try SpecEncoding.encode(features)
        #expect(try SpecLoader.decode(Features.self, from: data, fileName: "features") == features)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""idmap""#))
    }
}

/// A generic JSON value, for comparing documents independent of key order and spacing.
indirect enum JSONTree: Equatable, Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSONTree]), object([String: JSONTree])

    init(_ data: Data) throws { self = try JSONDecoder().decode(JSONTree.self, from: data) }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONTree].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONTree].self))
        }
    }
}
