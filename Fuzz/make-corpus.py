#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (Fuzz/corpus/<target>/) from the example
bundles and hand-written inputs. Run from the repository root; the output is committed."""
import json, os, struct, glob

out = "Fuzz/corpus"
def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(os.path.join(d, name), "wb").write(data)

configs = {}
for path in sorted(glob.glob("spec-examples/*/config.json")):
    name = path.split("/")[1]
    configs[name] = json.load(open(path))
    put("config", name + ".json", open(path, "rb").read())
base = configs["hello"]
# A config touching many fields at once.
rich = json.loads(json.dumps(base))
rich["linux"]["resources"] = {
    "memory": {"limit": 67108864, "reservation": 33554432, "swap": 134217728, "swappiness": 10, "disableOOMKiller": False,
               "checkBeforeUpdate": True},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "burst": 1000, "realtimeRuntime": 0, "realtimePeriod": 0,
            "cpus": "0-1", "mems": "0", "idle": 0},
    "pids": {"limit": 64},
    "blockIO": {"weight": 500, "leafWeight": 300, "weightDevice": [{"major": 8, "minor": 0, "weight": 200}],
                "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}]},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
    "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
    "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
    "unified": {"memory.high": "max"},
    "devices": [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}],
}
rich["linux"]["cgroupsPath"] = "system.slice:berth:fuzz"
rich["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "8192"}
rich["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
rich["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
rich["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}
rich["linux"]["timeOffsets"] = {"monotonic": {"secs": 1, "nanosecs": 2}}
rich["linux"]["netDevices"] = {"eth1": {"name": "ctr0"}}
rich["linux"]["personality"] = {"domain": "LINUX32"}
rich["linux"]["rootfsPropagation"] = "rslave"
rich["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
rich["process"]["scheduler"] = {"policy": "SCHED_OTHER", "nice": 5}
rich["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 4}
rich["process"]["execCPUAffinity"] = {"initial": "0", "final": "0-1"}
rich["process"]["oomScoreAdj"] = 100
rich["mounts"] = rich.get("mounts", []) + [
    {"destination": "/data", "type": "bind", "source": "/tmp", "options": ["rbind", "rro", "nosuid", "idmap"],
     "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]},
    {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755", "size=1m", "tmpcopyup", "nosymfollow"]},
]
rich["hooks"] = {"prestart": [{"path": "/bin/true", "args": ["true"], "env": ["A=B"], "timeout": 5}],
                 "createRuntime": [{"path": "/bin/true"}], "poststop": [{"path": "/bin/true"}]}
rich["annotations"] = {"org.berth.initlayer": "false", "org.berth.hosts.extra": "10.0.0.5 db"}
put("config", "rich.json", json.dumps(rich, indent=1))
put("config", "minimal.json", '{"ociVersion":"1.0.2-dev","root":{"path":"rootfs"}}')
put("config", "bad-version.json", '{"ociVersion":"banana","root":{"path":"rootfs"}}')

process = base["process"]
put("process", "hello.json", json.dumps(process))
put("process", "rich.json", json.dumps(rich["process"]))
put("process", "caps.json", json.dumps({"args": ["sh"], "cwd": "/", "user": {"uid": 1000, "gid": 1000, "additionalGids": [5, 6]},
                                         "capabilities": {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"], "ambient": []},
                                         "noNewPrivileges": True, "apparmorProfile": "x", "terminal": True,
                                         "consoleSize": {"height": 24, "width": 80}, "env": ["A=1"]}))

put("resources", "rich.json", json.dumps(rich["linux"]["resources"]))
put("resources", "memory.json", '{"memory":{"limit":-1,"swap":-1}}')
put("resources", "cpu.json", '{"cpu":{"shares":262144,"quota":-1,"period":1000000}}')

for i, opts in enumerate(["rbind,ro,nosuid,nodev,noexec", "mode=755,size=65536k,nr_inodes=1k", "rro,rnosymfollow,ridmap,rprivate",
                          "bind,remount,ro,strictatime,lazytime,x-systemd.automount", "uid=1000,gid=5,ptmxmode=0666,newinstance"]):
    put("mount-options", f"opts{i}", opts)

seccomp = configs["hardened"]["linux"]["seccomp"]
put("seccomp", "hardened.json", json.dumps(seccomp))
put("seccomp", "notify.json", json.dumps({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"], "listenerPath": "/run/agent.sock",
    "listenerMetadata": "x",
    "syscalls": [{"names": ["mkdir", "nonexistent_call"], "action": "SCMP_ACT_NOTIFY"},
                 {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                  "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 131072, "op": "SCMP_CMP_EQ"}]},
                 {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
                  "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
                 {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]}))

for i, p in enumerate(["", "/a/b/c", "relative/path", "system.slice:docker:abc", "a-b-c.slice:prefix:name", "user.slice:berth:",
                       ":x:y", "/..", "a//b/./c", "-.slice:p:n"]):
    put("cgroup-path", f"path{i}", p)

passwd = open("build/rootfs/etc/passwd", "rb").read() if os.path.exists("build/rootfs/etc/passwd") else \
    b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
put("passwd", "root", struct.pack("<I", 0) + passwd)
put("passwd", "user", struct.pack("<I", 1000) + b"root:x:0:0:root:/root:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\n::::\n")

state = {"ociVersion": "1.2.0", "id": "c1", "pid": 42, "startTime": 123, "bundle": "/b", "rootfs": "/b/rootfs",
         "created": "2026-12-01T00:00:00.000000000Z", "owner": "", "namespacePaths": {"pid": "/proc/42/ns/pid"},
         "cgroupPaths": ["/sys/fs/cgroup/memory/c1"], "cgroupCreated": ["/sys/fs/cgroup/memory/c1"], "cgroupUnified": False,
         "config": base, "runtimeBinary": [2049, 1234]}
put("state", "state.json", json.dumps(state))
put("state", "intent", b"berth-intent-1\0bundle=/b\0rootfs=/b/rootfs\0created=2026\0unified=0\0cgroup=/sys/fs/cgroup/memory/c1\0"
    b"made=/sys/fs/cgroup/memory/c1\0hostmount=42:/b/rootfs\0")
for tag in range(1, 13):
    put("state", f"sync{tag}", bytes([tag]) + b"\x01\x00\x05\x00\x00\x00message")
