import FoundationEssentials
import Testing

@testable import BerthSpec

/// berth's own JSON decoding of the spec types (`JSONDecodable`) against their `Codable`
/// conformances, which library callers decode with.
@Suite struct SpecJSONDecodingTests {
    /// Every field of every config type set, none to its fallback.
    static let everyField = #"""
        {"ociVersion": "1.2.0", "hostname": "h", "domainname": "d",
         "root": {"path": "/r", "readonly": true},
         "annotations": {"a": "b", "c": "d"},
         "process": {
           "terminal": true, "consoleSize": {"height": 24, "width": 80},
           "user": {"uid": 1, "gid": 2, "umask": 18, "additionalGids": [3, 4]},
           "args": ["a", "b"], "env": ["K=V"], "cwd": "/w",
           "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_CHOWN"], "inheritable": ["CAP_FOWNER"],
                            "permitted": ["CAP_KILL", "CAP_CHOWN"], "ambient": ["CAP_SETUID"]},
           "rlimits": [{"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 7}],
           "noNewPrivileges": true, "apparmorProfile": "p", "oomScoreAdj": -500,
           "scheduler": {"policy": "SCHED_DEADLINE", "nice": -2, "priority": 10, "flags": ["SCHED_FLAG_RESET_ON_FORK"],
                         "runtime": 1, "deadline": 2, "period": 3},
           "selinuxLabel": "l", "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
           "execCPUAffinity": {"initial": "0-1", "final": "3"}},
         "mounts": [{"destination": "/m", "type": "bind", "source": "/s", "options": ["rbind", "idmap"],
                     "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                     "gidMappings": [{"containerID": 1, "hostID": 2000, "size": 2}]}],
         "hooks": {"prestart": [{"path": "/p", "args": ["p"], "env": ["E=1"], "timeout": 1}],
                   "createRuntime": [{"path": "/cr", "args": ["cr"], "env": ["E=2"], "timeout": 2}],
                   "createContainer": [{"path": "/cc", "args": ["cc"], "env": ["E=3"], "timeout": 3}],
                   "startContainer": [{"path": "/sc", "args": ["sc"], "env": ["E=4"], "timeout": 4}],
                   "poststart": [{"path": "/ps", "args": ["ps"], "env": ["E=5"], "timeout": 5}],
                   "poststop": [{"path": "/pp", "args": ["pp"], "env": ["E=6"], "timeout": 6}]},
         "linux": {
           "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
           "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}],
           "sysctl": {"net.ipv4.ip_forward": "1"},
           "cgroupsPath": "system.slice:berth:abc",
           "namespaces": [{"type": "pid", "path": "/proc/1/ns/pid"}, {"type": "network", "path": "/proc/1/ns/net"}],
           "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 5, "gid": 6}],
           "netDevices": {"eth1": {"name": "net0"}},
           "resources": {
             "devices": [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}],
             "memory": {"limit": 536870912, "reservation": 1, "swap": -1, "kernel": 2, "kernelTCP": 3, "swappiness": 10,
                        "disableOOMKiller": true, "useHierarchy": true, "checkBeforeUpdate": true},
             "cpu": {"shares": 1024, "quota": -1, "burst": 5, "period": 100000, "realtimeRuntime": 6, "realtimePeriod": 7,
                     "cpus": "0-3", "mems": "0", "idle": 1},
             "pids": {"limit": 100},
             "blockIO": {"weight": 500, "leafWeight": 400,
                         "weightDevice": [{"major": 8, "minor": 0, "weight": 300, "leafWeight": 200}],
                         "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                         "throttleWriteBpsDevice": [{"major": 8, "minor": 1, "rate": 2}],
                         "throttleReadIOPSDevice": [{"major": 8, "minor": 2, "rate": 3}],
                         "throttleWriteIOPSDevice": [{"major": 8, "minor": 3, "rate": 4}]},
             "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
             "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
             "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 4}},
             "unified": {"memory.high": "1G"}
           },
           "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64"],
                       "flags": ["SECCOMP_FILTER_FLAG_LOG"], "listenerPath": "/l", "listenerMetadata": "m",
                       "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "errnoRet": 2,
                                     "args": [{"index": 0, "value": 8, "valueTwo": 9, "op": "SCMP_CMP_EQ"}]}]},
           "rootfsPropagation": "rslave",
           "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"], "mountLabel": "ml",
           "intelRdt": {"closID": "g", "schemata": "s", "l3CacheSchema": "L3:0=ff", "memBwSchema": "MB:0=50",
                        "enableCMT": true, "enableMBM": false},
           "personality": {"domain": "LINUX32", "flags": ["f"]},
           "timeOffsets": {"monotonic": {"secs": -3, "nanosecs": 5}},
           "memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}
         }}
        """#

    @Test func everyFieldDecodesAsCodableDecodesIt() throws {
        let bytes = Array(Self.everyField.utf8)
        let ours = try SpecLoader.decode(bytes)
        let codable = try JSONDecoder().decode(Spec.self, from: Data(bytes))
        #expect(ours == codable)
        // The fixture sets every field: a field added to a spec type but not to the
        // fixture fails here, and one added to the fixture but not to JSONDecodable above.
        #expect(unsetOptionals(ours, path: "") == [])
    }

    @Test func theGenericDecoderAgrees() throws {
        let bytes = Array(Self.everyField.utf8)
        #expect(try SpecLoader.decode(Linux.self, from: Array(#"{"sysctl": {"a": "b"}}"#.utf8), fileName: "x").sysctl == ["a": "b"])
        // Features has no JSONDecodable conformance: it goes through the Codable tree decoder.
        let features = Features(linux: .init(namespaces: ["pid"], cgroup: .init(v1: true)))
        #expect(try SpecLoader.decode(Features.self, from: try SpecEncoding.encode(features), fileName: "f") == features)
        #expect(try SpecLoader.decode(Spec.self, from: bytes, fileName: "config.json") == SpecLoader.decode(bytes))
    }

    @Test func nullsAndNumberForms() throws {
        func error(_ json: String) -> String? {
            do {
                _ = try SpecLoader.decode(Array(json.utf8))
                return nil
            } catch {
                return error.message
            }
        }
        #expect(error(#"{"process": {"args": ["a", null]}}"#) == "config.json: process.args[1]: expected String, found null")
        #expect(error(#"{"mounts": [null]}"#) == "config.json: mounts[0]: expected object, found null")
        #expect(error(#"{"process": {"terminal": 1}}"#) == "config.json: process.terminal: expected Bool")
        #expect(error(#"{"linux": {"resources": {"pids": {"limit": "1"}}}}"#) == "config.json: linux.resources.pids.limit: expected Int64")
        #expect(error(#"{"process": {"user": {"uid": 1e40}}}"#) == "config.json: process.user.uid: number 1e40 is out of range")
        // null leaves an optional unset and a required field at its fallback.
        let spec = try SpecLoader.decode(Array(#"{"hostname": null, "process": {"cwd": null, "user": {"uid": 1.0, "gid": 2e1}}}"#.utf8))
        #expect(spec.hostname == nil)
        #expect(spec.process?.cwd == "/")
        #expect(spec.process?.user == User(uid: 1, gid: 20))
        // A repeated key: the last one, as Go.
        #expect(try SpecLoader.decode(Array(#"{"hostname": "a", "hostname": "b"}"#.utf8)).hostname == "b")
    }

    @Test func stringsAndSyntaxTheCheckerDoesNotSee() throws {
        let spec = try SpecLoader.decode(Array(#"{"hostname": "\u00e9\ud83d\ude00\n\"\\\/x"}"#.utf8))
        #expect(spec.hostname == "é😀\n\"\\/x")
        // Invalid UTF-8 and absurd nesting are syntax errors with a position.
        var bytes = Array(#"{"hostname": "ab"}"#.utf8)
        bytes[15] = 0xFF
        #expect(throws: SpecError("config.json: invalid JSON at line 1, column 15: invalid UTF-8 in string")) {
            try SpecLoader.decode(bytes)
        }
        let deep = #"{"a": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(throws: SpecError("config.json: invalid JSON at line 1, column 518: nesting deeper than 512 levels")) {
            try SpecLoader.decode(Array(deep.utf8))
        }
    }

    @Test func writerRoundTrips() throws {
        let text = #"{"a":[1,-2.5e3,true,false,null],"b":{"c":"q\"\\\n\t\u0001é"},"d":[]}"#
        let value = try JSONValue.parse(Array(text.utf8))
        var w = JSONWriter()
        w.value(value)
        #expect(String(decoding: w.bytes, as: UTF8.self) == text)
        #expect(try JSONValue.parse(w.bytes) == value)
        let state = State(id: "x", status: .running, pid: 3, bundle: "/b/\"q\"", annotations: ["z": "1", "a": "2"])
        #expect(
            String(decoding: state.jsonBytes, as: UTF8.self)
                == #"{"ociVersion":"\#(ociSpecVersion)","id":"x","status":"running","pid":3,"bundle":"/b/\"q\"","annotations":{"a":"2","z":"1"}}"#)
        #expect(try SpecLoader.decode(State.self, from: state.jsonBytes, fileName: "s") == state)
    }

    @Test func writerNumbersAsDecimalText() {
        var w = JSONWriter()
        w.beginArray()
        w.number(0)
        w.number(7)
        w.number(-1)
        w.number(Int64.min)
        w.number(Int64.max)
        w.number(UInt64.max)
        w.number(Int64(Int32.min))
        w.number(UInt64(UInt8.max))
        w.number(1_000_000)
        w.endArray()
        #expect(
            String(decoding: w.bytes, as: UTF8.self)
                == "[0,7,-1,-9223372036854775808,9223372036854775807,18446744073709551615,-2147483648,255,1000000]")
    }

    /// Paths of optional properties that are `nil`, walking structs, arrays and dictionaries.
    private func unsetOptionals(_ value: Any, path: String) -> [String] {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return [path] }
            return unsetOptionals(wrapped, path: path)
        }
        switch mirror.displayStyle {
        case .struct:
            return mirror.children.flatMap { unsetOptionals($0.value, path: path + "." + ($0.label ?? "?")) }
        case .collection:
            return mirror.children.enumerated().flatMap { unsetOptionals($0.element.value, path: path + "[\($0.offset)]") }
        case .dictionary:
            return mirror.children.flatMap { child -> [String] in
                let pair = Array(Mirror(reflecting: child.value).children)
                return unsetOptionals(pair[1].value, path: path + "[\(pair[0].value)]")
            }
        default:
            return []
        }
    }
}
