#!/usr/bin/python3
"""The Kubernetes CRI API, called as the kubelet calls it, for scripts/e2e-cri.sh.

Debian 12 has neither crictl nor the CRI's .proto files, but containerd's binary holds
the API's compiled descriptors (gzip-compressed FileDescriptorProtos, registered by the
Go protobuf code for runtime.v1 and runtime.v1alpha2). This program finds runtime.v1's
in the binary, loads it into a descriptor pool (the gogoproto import it names only adds
Go code-generation options, so it is dropped) and calls the services over gRPC with
messages built from those descriptors: python3-grpcio and python3-protobuf, nothing
generated.

    e2e-cri.py CONTAINERD-BINARY SOCKET call METHOD [JSON]   one call, JSON in and out
    e2e-cri.py CONTAINERD-BINARY SOCKET scenario ARGS-JSON   the suite's scenario

The scenario prints one line per check, "ok NAME" or "bad NAME details", for the shell
suite to count (with the shell's clean-up and host checks around it).
"""
import base64
import json
import os
import sys
import time
import zlib

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

GZIP_MAGIC = b"\x1f\x8b\x08"
# the longest compressed descriptor expected; the API's is about 10 KiB
MAX_COMPRESSED = 1 << 20


def find_descriptor(binary, package):
    """The FileDescriptorProto of PACKAGE's RuntimeService, from the Go binary's data."""
    data = open(binary, "rb").read()
    at = 0
    while True:
        at = data.find(GZIP_MAGIC, at)
        if at < 0:
            raise LookupError(f"no {package} descriptor in {binary}")
        try:
            raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[at:at + MAX_COMPRESSED])
            fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
            if fd.package == package and any(s.name == "RuntimeService" for s in fd.service):
                return fd
        except Exception:  # not a gzip stream, or not a descriptor: keep looking
            pass
        at += len(GZIP_MAGIC)


class CRI:
    """RuntimeService and ImageService of runtime.v1 on a unix socket."""

    def __init__(self, binary, socket, package="runtime.v1"):
        fd = find_descriptor(binary, package)
        kept = [d for d in fd.dependency if "gogo" not in d]
        del fd.dependency[:]
        fd.dependency.extend(kept)
        pool = descriptor_pool.DescriptorPool()
        pool.Add(fd)
        self.package = package
        self.file = pool.FindFileByName(fd.name)
        self.channel = grpc.insecure_channel("unix://" + socket)
        self.methods = {}
        for service in self.file.services_by_name.values():
            for m in service.methods:
                self.methods[m.name] = (service.full_name, m)

    @staticmethod
    def _class(desc):
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(desc)
        return message_factory.MessageFactory(desc.file.pool).GetPrototype(desc)

    def call(self, method, request=None, timeout=60):
        """Calls METHOD with a dict (protobuf JSON names or field names); returns a dict."""
        service, m = self.methods[method]
        req_cls, resp_cls = self._class(m.input_type), self._class(m.output_type)
        stub = self.channel.unary_unary(f"/{service}/{method}",
                                        request_serializer=req_cls.SerializeToString,
                                        response_deserializer=resp_cls.FromString)
        req = json_format.ParseDict(request or {}, req_cls())
        resp = stub(req, timeout=timeout)
        # zero values (SANDBOX_READY, exit code 0) printed too; the option's name changed
        # in protobuf 5
        try:
            return json_format.MessageToDict(resp, preserving_proto_field_name=True,
                                             including_default_value_fields=True)
        except TypeError:
            return json_format.MessageToDict(resp, preserving_proto_field_name=True,
                                             always_print_fields_with_no_presence=True)


# --- the scenario ---------------------------------------------------------------------

class Checks:
    def ok(self, name):
        print(f"ok {name}", flush=True)

    def bad(self, name, details):
        details = " ".join(str(details).split())[:600]
        print(f"bad {name} {details}", flush=True)

    def expect(self, name, cond, details):
        (self.ok(name) if cond else self.bad(name, details))
        return cond


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return f"<{e.strerror}: {path}>"


def cgroup_file(pid, controller, v1_file, v2_file):
    """A cgroup file of a process: the v1 controller's hierarchy, else the unified one."""
    for line in read(f"/proc/{pid}/cgroup").splitlines():
        hid, controllers, path = line.split(":", 2)
        if os.path.isdir(f"/sys/fs/cgroup/{controller}") and controller in controllers.split(","):
            return read(f"/sys/fs/cgroup/{controller}{path}/{v1_file}").strip()
        if not os.path.isdir(f"/sys/fs/cgroup/{controller}") and hid == "0":
            return read(f"/sys/fs/cgroup{path}/{v2_file}").strip()
    return "<no cgroup>"


def wait_for(fn, seconds):
    end = time.monotonic() + seconds
    while True:
        value = fn()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.1)


def scenario(cri, a):
    """a: {image, pause_image, cgroup_parent, log_dir, runtime_state, subnet_prefix}"""
    c = Checks()
    hostns = os.readlink("/proc/self/ns/net")

    v = cri.call("Version", {"version": "v1"})
    c.expect("version", v.get("runtime_api_version") == "v1" and v.get("runtime_name") == "containerd", v)
    st = cri.call("Status", {})
    conds = {x["type"]: x.get("status", False) for x in st.get("status", {}).get("conditions", [])}
    c.expect("status-runtime-ready", conds.get("RuntimeReady") is True, st)
    img = cri.call("ImageStatus", {"image": {"image": a["image"]}})
    if not c.expect("image-status", img.get("image", {}).get("id", "").startswith("sha256:"), img):
        return

    # --- the pod sandbox ---
    pod_config = {
        "metadata": {"name": "e2e-pod", "uid": "e2e-pod-uid-1", "namespace": "berth-e2e", "attempt": 0},
        "hostname": "e2e-pod-host",
        "log_directory": a["log_dir"],
        "labels": {"berth-e2e": "1"},
        "linux": {"cgroup_parent": a["cgroup_parent"],
                  "security_context": {"namespace_options": {"network": "POD", "pid": "CONTAINER",
                                                             "ipc": "POD"}}},
    }
    try:
        pod = cri.call("RunPodSandbox", {"config": pod_config})["pod_sandbox_id"]
        c.ok("run-pod-sandbox")
    except grpc.RpcError as e:
        c.bad("run-pod-sandbox", f"{e.code()}: {e.details()}")
        return
    ps = cri.call("PodSandboxStatus", {"pod_sandbox_id": pod, "verbose": True})
    info = json.loads(ps.get("info", {}).get("info", "{}"))
    pause_pid = info.get("pid", 0)
    ip = ps["status"].get("network", {}).get("ip", "")
    c.expect("pod-sandbox-status", ps["status"].get("state") == "SANDBOX_READY" and pause_pid > 0
             and ip.startswith(a["subnet_prefix"] + "."), ps["status"])
    podns = os.readlink(f"/proc/{pause_pid}/ns/net") if pause_pid else "?"
    c.expect("pod-sandbox-host-view",
             podns != hostns and os.path.isfile(f"{a['runtime_state']}/{pod}/state.json")
             and f"{a['cgroup_parent']}/{pod}" in read(f"/proc/{pause_pid}/cgroup"),
             f"pod netns {podns} (host {hostns}), runtime state {os.listdir(a['runtime_state'])},"
             f" cgroups {read(f'/proc/{pause_pid}/cgroup')}")

    # --- a container in it ---
    ctr_config = {
        "metadata": {"name": "work", "attempt": 0},
        "image": {"image": a["image"]},
        "command": ["sh", "-c"],
        "args": ['trap "echo got-term; exit 7" TERM; echo hello from $(hostname); echo to-stderr >&2; '
                 'while :; do sleep 0.1; done'],
        "envs": [{"key": "E2E_VAR", "value": "from-cri"}],
        "working_dir": "/tmp",
        "log_path": "work.log",
        "linux": {"resources": {"memory_limit_in_bytes": 64 << 20, "cpu_period": 100000,
                                "cpu_quota": 50000, "cpu_shares": 512}},
    }
    try:
        ctr = cri.call("CreateContainer", {"pod_sandbox_id": pod, "config": ctr_config,
                                           "sandbox_config": pod_config})["container_id"]
        c.ok("create-container")
        cri.call("StartContainer", {"container_id": ctr})
        c.ok("start-container")
    except grpc.RpcError as e:
        c.bad("create-start-container", f"{e.code()}: {e.details()}")
        cleanup_pod(cri, pod)
        return
    cs = cri.call("ContainerStatus", {"container_id": ctr, "verbose": True})
    cpid = json.loads(cs.get("info", {}).get("info", "{}")).get("pid", 0)
    c.expect("container-status", cs["status"].get("state") == "CONTAINER_RUNNING" and cpid > 0, cs["status"])
    host = {
        "netns": os.readlink(f"/proc/{cpid}/ns/net") if cpid else "?",
        "memory": cgroup_file(cpid, "memory", "memory.limit_in_bytes", "memory.max"),
        "quota": cgroup_file(cpid, "cpu", "cpu.cfs_quota_us", "cpu.max"),
        "state": os.path.isfile(f"{a['runtime_state']}/{ctr}/state.json"),
    }
    c.expect("container-host-view", host["netns"] == podns and host["memory"] == str(64 << 20)
             and host["quota"] in ("50000", "50000 100000") and host["state"], host)

    try:
        r = cri.call("ExecSync", {"container_id": ctr, "timeout": 20,
                                  "cmd": ["sh", "-c", 'echo out $E2E_VAR $(pwd) $(hostname); echo err >&2; exit 3']})
        out = base64.b64decode(r.get("stdout", "")).decode()
        err = base64.b64decode(r.get("stderr", "")).decode()
        c.expect("exec-sync", r.get("exit_code") == 3 and out == "out from-cri /tmp e2e-pod-host\n"
                 and err == "err\n", r | {"out": out, "err": err})
    except grpc.RpcError as e:
        c.bad("exec-sync", f"{e.code()}: {e.details()}")
    try:
        r = cri.call("ExecSync", {"container_id": ctr, "timeout": 20, "cmd": ["/nonexistent"]})
        c.bad("exec-sync-missing-command", f"succeeded: {r}")
    except grpc.RpcError as e:
        c.expect("exec-sync-missing-command", "/nonexistent" in e.details()
                 and "no such file or directory" in e.details(), f"{e.code()}: {e.details()}")

    log = f"{a['log_dir']}/work.log"
    text = wait_for(lambda: "to-stderr" in read(log) and read(log), 5) or read(log)
    c.expect("container-log", " stdout F hello from e2e-pod-host" in text and " stderr F to-stderr" in text, text)

    # a kubelet-style resize: the whole resources object
    try:
        cri.call("UpdateContainerResources", {"container_id": ctr, "linux": {
            "memory_limit_in_bytes": 48 << 20, "cpu_period": 100000, "cpu_quota": 25000, "cpu_shares": 512}})
        mem = cgroup_file(cpid, "memory", "memory.limit_in_bytes", "memory.max")
        quota = cgroup_file(cpid, "cpu", "cpu.cfs_quota_us", "cpu.max")
        c.expect("update-container-resources", mem == str(48 << 20) and quota in ("25000", "25000 100000"),
                 f"memory {mem} quota {quota}")
    except grpc.RpcError as e:
        c.bad("update-container-resources", f"{e.code()}: {e.details()}")

    cri.call("StopContainer", {"container_id": ctr, "timeout": 10})
    cs = cri.call("ContainerStatus", {"container_id": ctr})["status"]
    text = read(log)
    c.expect("stop-container", cs.get("state") == "CONTAINER_EXITED" and cs.get("exit_code") == 7
             and "stdout F got-term" in text, {"status": cs, "log": text[-300:]})
    c.expect("stop-container-gone", cpid and not os.path.exists(f"/proc/{cpid}"), f"pid {cpid} alive")
    cri.call("RemoveContainer", {"container_id": ctr})
    left = cri.call("ListContainers", {"filter": {"pod_sandbox_id": pod}}).get("containers", [])
    c.expect("remove-container", not left and not os.path.exists(f"{a['runtime_state']}/{ctr}"),
             f"listed {left}, runtime state {os.listdir(a['runtime_state'])}")

    # --- a container that ends on its own, with its exit status ---
    try:
        one = cri.call("CreateContainer", {"pod_sandbox_id": pod, "sandbox_config": pod_config, "config": {
            "metadata": {"name": "once"}, "image": {"image": a["image"]}, "log_path": "once.log",
            "command": ["sh", "-c", "echo done-once; exit 4"]}})["container_id"]
        cri.call("StartContainer", {"container_id": one})
        cs = wait_for(lambda: (lambda s: s if s.get("state") == "CONTAINER_EXITED" else None)(
            cri.call("ContainerStatus", {"container_id": one})["status"]), 10) or \
            cri.call("ContainerStatus", {"container_id": one})["status"]
        c.expect("container-exit-status", cs.get("exit_code") == 4 and "done-once" in read(f"{a['log_dir']}/once.log"),
                 cs)
        cri.call("RemoveContainer", {"container_id": one})
    except grpc.RpcError as e:
        c.bad("container-exit-status", f"{e.code()}: {e.details()}")

    # --- a container whose process cannot start: the runtime's error reaches the caller ---
    try:
        bad = cri.call("CreateContainer", {"pod_sandbox_id": pod, "sandbox_config": pod_config, "config": {
            "metadata": {"name": "bad"}, "image": {"image": a["image"]}, "command": ["/nonexistent"]}})["container_id"]
        try:
            cri.call("StartContainer", {"container_id": bad})
            c.bad("start-error-message", "StartContainer of /nonexistent succeeded")
        except grpc.RpcError as e:
            c.expect("start-error-message", "/nonexistent" in e.details() and "no such file or directory" in e.details(),
                     f"{e.code()}: {e.details()}")
        cri.call("RemoveContainer", {"container_id": bad})
    except grpc.RpcError as e:
        c.bad("start-error-message", f"{e.code()}: {e.details()}")

    # --- the sandbox ---
    cri.call("StopPodSandbox", {"pod_sandbox_id": pod})
    ps = cri.call("PodSandboxStatus", {"pod_sandbox_id": pod})["status"]
    c.expect("stop-pod-sandbox", ps.get("state") == "SANDBOX_NOTREADY" and not os.path.exists(f"/proc/{pause_pid}"),
             f"{ps.get('state')}, pause pid {pause_pid} alive: {os.path.exists(f'/proc/{pause_pid}')}")
    cri.call("RemovePodSandbox", {"pod_sandbox_id": pod})
    left = cri.call("ListPodSandbox", {}).get("items", [])
    c.expect("remove-pod-sandbox", not left and not os.listdir(a["runtime_state"]),
             f"listed {left}, runtime state {os.listdir(a['runtime_state'])}")

    host_network_pod(cri, a, c, hostns)


def host_network_pod(cri, a, c, hostns):
    """A pod on the host's network with one process namespace (shareProcessNamespace), and
    a container with the kubelet's securityContext: runAsUser, readOnlyRootFilesystem."""
    pod_config = {
        # (no hostname: the pod has the host's UTS namespace, as the kubelet gives it)
        "metadata": {"name": "e2e-hostnet", "uid": "e2e-pod-uid-2", "namespace": "berth-e2e"},
        "log_directory": a["log_dir"],
        "linux": {"cgroup_parent": a["cgroup_parent"],
                  "security_context": {"namespace_options": {"network": "NODE", "pid": "POD", "ipc": "POD"}}},
    }
    pod = None
    try:
        pod = cri.call("RunPodSandbox", {"config": pod_config})["pod_sandbox_id"]
        ctr = cri.call("CreateContainer", {"pod_sandbox_id": pod, "sandbox_config": pod_config, "config": {
            "metadata": {"name": "restricted"}, "image": {"image": a["image"]}, "log_path": "restricted.log",
            "command": ["sleep", "1000"],
            "linux": {"security_context": {"run_as_user": {"value": 65534}, "readonly_rootfs": True}}}})["container_id"]
        cri.call("StartContainer", {"container_id": ctr})
    except grpc.RpcError as e:
        c.bad("host-network-pod", f"{e.code()}: {e.details()}")
        if pod:
            cleanup_pod(cri, pod)
        return
    try:
        r = cri.call("ExecSync", {"container_id": ctr, "timeout": 20, "cmd": ["sh", "-c",
                     "readlink /proc/self/ns/net; ps -o pid,args; echo uid=$(id -u); touch /x 2>&1; echo touch=$?"]})
        out = base64.b64decode(r.get("stdout", "")).decode()
        c.expect("host-network-pod", hostns in out, out)
        # the sandbox's process is pid 1 of the shared pid namespace
        c.expect("shared-pid-namespace", any(line.split()[:1] == ["1"] and "trap" in line for line in out.splitlines())
                 and "sleep 1000" in out, out)
        c.expect("security-context", "uid=65534" in out and "Read-only file system" in out and "touch=1" in out, out)
    except grpc.RpcError as e:
        c.bad("host-network-pod", f"{e.code()}: {e.details()}")
    try:
        cri.call("StopPodSandbox", {"pod_sandbox_id": pod})
        cri.call("RemovePodSandbox", {"pod_sandbox_id": pod})
        left = cri.call("ListPodSandbox", {}).get("items", [])
        c.expect("host-network-pod-removed", not left and not os.listdir(a["runtime_state"]),
                 f"listed {left}, runtime state {os.listdir(a['runtime_state'])}")
    except grpc.RpcError as e:
        c.bad("host-network-pod-removed", f"{e.code()}: {e.details()}")


def cleanup_pod(cri, pod):
    for call in ("StopPodSandbox", "RemovePodSandbox"):
        try:
            cri.call(call, {"pod_sandbox_id": pod}, timeout=20)
        except grpc.RpcError:
            pass


def main(argv):
    if len(argv) < 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    binary, socket, verb = argv[1:4]
    cri = CRI(binary, socket)
    if verb == "call":
        try:
            print(json.dumps(cri.call(argv[4], json.loads(argv[5]) if len(argv) > 5 else {}), indent=1))
        except grpc.RpcError as e:
            print(f"{argv[4]}: {e.code()}: {e.details()}", file=sys.stderr)
            return 1
        return 0
    if verb == "scenario":
        scenario(cri, json.loads(argv[4]))
        return 0
    print(f"unknown verb {verb}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
