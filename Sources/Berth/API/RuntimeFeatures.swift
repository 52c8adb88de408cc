import BerthSpec
import BerthSystem

extension ContainerRuntime {
    /// Every capability name, in number order.
    static let capabilityNames = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
        "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
    ]

    /// The runtime-spec features document: what this berth implements (`berth features`).
    /// Whether this host can apply AppArmor or SELinux labels is in the annotations.
    public static func features() -> Features {
        let lastCap = Int(Capabilities.lastCap)
        return Features(
            ociVersionMin: "1.0.0",
            ociVersionMax: ociSpecVersion,
            hooks: ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
            mountOptions: MountOptions.knownOptions,
            linux: Features.Linux(
                namespaces: ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"],
                capabilities: Array(capabilityNames.prefix(lastCap + 1)),
                cgroup: Features.Cgroup(v1: true, v2: true, systemd: false, systemdUser: false, rdma: false),
                seccomp: Features.Seccomp(
                    enabled: true,
                    actions: [
                        "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
                    ],
                    operators: [
                        "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
                        "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
                    ],
                    archs: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"],
                    knownFlags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"],
                    supportedFlags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"]),
                // The spec's `enabled` is whether the runtime implements the LSM, regardless
                // of the host; whether this host can apply labels is in the annotations.
                apparmor: Features.Apparmor(enabled: true),
                selinux: Features.Selinux(enabled: true),
                intelRdt: Features.IntelRdt(enabled: false),
                mountExtensions: Features.MountExtensions(idmap: Features.IDMap(enabled: true)),
                netDevices: Features.NetDevices(enabled: true)),
            annotations: [
                "org.berth.initlayer": "true|false: the generated /etc/hostname, /etc/hosts, /etc/resolv.conf",
                "org.berth.hosts.extra": "extra /etc/hosts lines, comma-separated",
                "org.berth.dns.nameservers": "nameservers, comma-separated",
                "org.berth.dns.search": "search domains, comma-separated",
                "org.berth.dns.options": "resolv.conf options, comma-separated",
                "org.berth.host.apparmor": hostHasAppArmor ? "enabled" : "not enabled on this host",
                "org.berth.host.selinux": hostHasSELinux ? "enabled" : "not enabled on this host",
                // checkpoint and restore through CRIU; the runc key too, as crun reports it.
                "org.berth.checkpoint.enabled": "true",
                "org.opencontainers.runc.checkpoint.enabled": "true",
            ],
            // A CRIU configuration file named by the config can change what restore does.
            potentiallyUnsafeConfigAnnotations: ["org.criu.config"])
    }
}
