extension Spec {
    /// The configuration `berth spec` writes: the same content as current `runc spec`
    /// (`runc spec --rootless` when `rootless`), with hostname `berth`.
    ///
    /// The rootless variant maps container root to uid/gid 1000, a placeholder:
    /// use ``defaultSpec(rootless:uid:gid:cgroupNamespace:)`` to map the caller's ids.
    public static func defaultSpec(rootless: Bool = false) -> Spec {
        defaultSpec(rootless: rootless, uid: 1000, gid: 1000)
    }

    /// The configuration `berth spec` writes. When `rootless`, container root is mapped
    /// to host `uid`/`gid` in a new user namespace, there is no network namespace and no
    /// device cgroup rule, `/sys` is a read-only recursive bind of the host's, and
    /// `/dev/pts` has no `gid=5`. `uid` and `gid` are ignored otherwise. As runc does,
    /// the capabilities have no ambient set, and a host with pure cgroup v2 gets a
    /// cgroup namespace (`cgroupNamespace`).
    public static func defaultSpec(rootless: Bool, uid: UInt32, gid: UInt32, cgroupNamespace: Bool = false) -> Spec {
        let capabilities = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        let process = Process(
            terminal: true,
            user: User(uid: 0, gid: 0),
            args: ["sh"],
            env: [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm",
            ],
            cwd: "/",
            capabilities: LinuxCapabilities(
                bounding: capabilities, effective: capabilities, permitted: capabilities),
            rlimits: [POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)],
            noNewPrivileges: true
        )

        var devptsOptions = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]
        if !rootless { devptsOptions.append("gid=5") }
        let sysfs =
            rootless
            ? Mount(destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"])
            : Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"])
        let mounts = [
            Mount(destination: "/proc", type: "proc", source: "proc"),
            Mount(
                destination: "/dev", type: "tmpfs", source: "tmpfs",
                options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount(destination: "/dev/pts", type: "devpts", source: "devpts", options: devptsOptions),
            Mount(
                destination: "/dev/shm", type: "tmpfs", source: "shm",
                options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            sysfs,
            Mount(
                destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
        ]

        var linux = Linux(
            maskedPaths: [
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/tpm",
            ],
            readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        )
        if rootless {
            linux.uidMappings = [LinuxIDMapping(containerID: 0, hostID: uid, size: 1)]
            linux.gidMappings = [LinuxIDMapping(containerID: 0, hostID: gid, size: 1)]
            linux.namespaces = [NamespaceKind.pid, .ipc, .uts, .mount, .user].map { LinuxNamespace($0) }
        } else {
            linux.resources = LinuxResources(devices: [LinuxDeviceCgroup(allow: false, access: "rwm")])
            linux.namespaces = [NamespaceKind.pid, .network, .ipc, .uts, .mount].map { LinuxNamespace($0) }
        }
        if cgroupNamespace { linux.namespaces?.append(LinuxNamespace(.cgroup)) }

        return Spec(
            ociVersion: ociSpecVersion,
            process: process,
            root: Root(path: "rootfs", readonly: true),
            hostname: "berth",
            mounts: mounts,
            linux: linux
        )
    }
}
