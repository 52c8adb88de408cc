// The spec types built from parsed JSON (see `JSONDecodable`): one line per field, with
// the same optional/lenient split and fallbacks as each type's `init(from:)`, and
// `linux.resources` matched case-insensitively as its `FoldedContainer` does. A field
// added to a type is added here too; `SpecJSONDecodingTests` compares both decoders on a
// config that sets every field.

extension Spec: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            ociVersion: try o.lenient("ociVersion", ""), process: try o.optional("process"), root: try o.optional("root"),
            hostname: try o.optional("hostname"), domainname: try o.optional("domainname"), mounts: try o.optional("mounts"),
            hooks: try o.optional("hooks"), annotations: try o.optional("annotations"), linux: try o.optional("linux"))
    }
}

extension Root: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(path: try o.lenient("path", ""), readonly: try o.optional("readonly"))
    }
}

extension Process: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            terminal: try o.optional("terminal"), consoleSize: try o.optional("consoleSize"), user: try o.lenient("user", User()),
            args: try o.optional("args"), env: try o.optional("env"), cwd: try o.lenient("cwd", "/"),
            capabilities: try o.optional("capabilities"), rlimits: try o.optional("rlimits"),
            noNewPrivileges: try o.optional("noNewPrivileges"), apparmorProfile: try o.optional("apparmorProfile"),
            oomScoreAdj: try o.optional("oomScoreAdj"), scheduler: try o.optional("scheduler"),
            selinuxLabel: try o.optional("selinuxLabel"), ioPriority: try o.optional("ioPriority"),
            execCPUAffinity: try o.optional("execCPUAffinity"))
    }
}

extension Box: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(height: try o.lenient("height", 0), width: try o.lenient("width", 0))
    }
}

extension User: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            uid: try o.lenient("uid", 0), gid: try o.lenient("gid", 0), umask: try o.optional("umask"),
            additionalGids: try o.optional("additionalGids"))
    }
}

extension LinuxCapabilities: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            bounding: try o.optional("bounding"), effective: try o.optional("effective"),
            inheritable: try o.optional("inheritable"), permitted: try o.optional("permitted"),
            ambient: try o.optional("ambient"))
    }
}

extension POSIXRlimit: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(type: try o.lenient("type", ""), hard: try o.lenient("hard", 0), soft: try o.lenient("soft", 0))
    }
}

extension Scheduler: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            policy: try o.lenient("policy", ""), nice: try o.optional("nice"), priority: try o.optional("priority"),
            flags: try o.optional("flags"), runtime: try o.optional("runtime"), deadline: try o.optional("deadline"),
            period: try o.optional("period"))
    }
}

extension LinuxIOPriority: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(class: try o.lenient("class", ""), priority: try o.lenient("priority", 0))
    }
}

extension CPUAffinity: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(initial: try o.optional("initial"), final: try o.optional("final"))
    }
}

extension Mount: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            destination: try o.lenient("destination", ""), type: try o.optional("type"),
            source: try o.optional("source"), options: try o.optional("options"),
            uidMappings: try o.optional("uidMappings"), gidMappings: try o.optional("gidMappings"))
    }
}

extension Hooks: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            prestart: try o.optional("prestart"), createRuntime: try o.optional("createRuntime"),
            createContainer: try o.optional("createContainer"), startContainer: try o.optional("startContainer"),
            poststart: try o.optional("poststart"), poststop: try o.optional("poststop"))
    }
}

extension Hook: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            path: try o.lenient("path", ""), args: try o.optional("args"), env: try o.optional("env"),
            timeout: try o.optional("timeout"))
    }
}

extension Linux: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            uidMappings: try o.optional("uidMappings"), gidMappings: try o.optional("gidMappings"),
            sysctl: try o.optional("sysctl"), resources: try o.optional("resources"),
            cgroupsPath: try o.optional("cgroupsPath"), namespaces: try o.optional("namespaces"),
            devices: try o.optional("devices"), netDevices: try o.optional("netDevices"), seccomp: try o.optional("seccomp"),
            rootfsPropagation: try o.optional("rootfsPropagation"), maskedPaths: try o.optional("maskedPaths"),
            readonlyPaths: try o.optional("readonlyPaths"), mountLabel: try o.optional("mountLabel"),
            intelRdt: try o.optional("intelRdt"), personality: try o.optional("personality"),
            timeOffsets: try o.optional("timeOffsets"), memoryPolicy: try o.optional("memoryPolicy"))
    }
}

extension LinuxNamespace: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(type: try o.lenient("type", ""), path: try o.optional("path"))
    }
}

extension LinuxIDMapping: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(containerID: try o.lenient("containerID", 0), hostID: try o.lenient("hostID", 0), size: try o.lenient("size", 0))
    }
}

extension LinuxDevice: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            path: try o.lenient("path", ""), type: try o.lenient("type", ""), major: try o.lenient("major", 0),
            minor: try o.lenient("minor", 0), fileMode: try o.optional("fileMode"), uid: try o.optional("uid"),
            gid: try o.optional("gid"))
    }
}

extension LinuxNetDevice: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(name: try o.optional("name"))
    }
}

extension LinuxIntelRdt: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            closID: try o.optional("closID"), schemata: try o.optional("schemata"),
            l3CacheSchema: try o.optional("l3CacheSchema"), memBwSchema: try o.optional("memBwSchema"),
            enableCMT: try o.optional("enableCMT"), enableMBM: try o.optional("enableMBM"))
    }
}

extension LinuxPersonality: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(domain: try o.lenient("domain", ""), flags: try o.optional("flags"))
    }
}

extension LinuxTimeOffset: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(secs: try o.optional("secs"), nanosecs: try o.optional("nanosecs"))
    }
}

extension LinuxMemoryPolicy: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(mode: try o.lenient("mode", ""), nodes: try o.lenient("nodes", ""), flags: try o.optional("flags"))
    }
}

extension LinuxResources: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json, foldingCase: true)
        self.init(
            devices: try o.optional("devices"), memory: try o.optional("memory"), cpu: try o.optional("cpu"),
            pids: try o.optional("pids"), blockIO: try o.optional("blockIO"),
            hugepageLimits: try o.optional("hugepageLimits"), network: try o.optional("network"),
            rdma: try o.optional("rdma"), unified: try o.optional("unified"))
    }
}

extension LinuxDeviceCgroup: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json, foldingCase: true)
        self.init(
            allow: try o.lenient("allow", false), type: try o.optional("type"), major: try o.optional("major"),
            minor: try o.optional("minor"), access: try o.optional("access"))
    }
}

extension LinuxMemory: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json, foldingCase: true)
        self.init(
            limit: try o.optional("limit"), reservation: try o.optional("reservation"), swap: try o.optional("swap"),
            kernel: try o.optional("kernel"), kernelTCP: try o.optional("kernelTCP"),
            swappiness: try o.optional("swappiness"), disableOOMKiller: try o.optional("disableOOMKiller"),
            useHierarchy: try o.optional("useHierarchy"), checkBeforeUpdate: try o.optional("checkBeforeUpdate"))
    }
}

extension LinuxCPU: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json, foldingCase: true)
        self.init(
            shares: try o.optional("shares"), quota: try o.optional("quota"), burst: try o.optional("burst"),
            period: try o.optional("period"), realtimeRuntime: try o.optional("realtimeRuntime"),
            realtimePeriod: try o.optional("realtimePeriod"), cpus: try o.optional("cpus"), mems: try o.optional("mems"),
            idle: try o.optional("idle"))
    }
}

extension LinuxPids: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json, foldingCase: true)
        self.init(limit: try o.optional("limit"))
    }
}

extension LinuxBlockIO: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json, foldingCase: true)
        self.init(
            weight: try o.optional("weight"), leafWeight: try o.optional("leafWeight"),
            weightDevice: try o.optional("weightDevice"), throttleReadBpsDevice: try o.optional("throttleReadBpsDevice"),
            throttleWriteBpsDevice: try o.optional("throttleWriteBpsDevice"),
            throttleReadIOPSDevice: try o.optional("throttleReadIOPSDevice"),
            throttleWriteIOPSDevice: try o.optional("throttleWriteIOPSDevice"))
    }
}

extension LinuxWeightDevice: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json, foldingCase: true)
        self.init(
            major: try o.lenient("major", 0), minor: try o.lenient("minor", 0), weight: try o.optional("weight"),
            leafWeight: try o.optional("leafWeight"))
    }
}

extension LinuxThrottleDevice: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json, foldingCase: true)
        self.init(major: try o.lenient("major", 0), minor: try o.lenient("minor", 0), rate: try o.lenient("rate", 0))
    }
}

extension LinuxHugepageLimit: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json, foldingCase: true)
        self.init(pageSize: try o.lenient("pageSize", ""), limit: try o.lenient("limit", 0))
    }
}

extension LinuxNetwork: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json, foldingCase: true)
        self.init(classID: try o.optional("classID"), priorities: try o.optional("priorities"))
    }
}

extension LinuxInterfacePriority: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json, foldingCase: true)
        self.init(name: try o.lenient("name", ""), priority: try o.lenient("priority", 0))
    }
}

extension LinuxRdma: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json, foldingCase: true)
        self.init(hcaHandles: try o.optional("hcaHandles"), hcaObjects: try o.optional("hcaObjects"))
    }
}

extension LinuxSeccomp: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            defaultAction: try o.lenient("defaultAction", ""), defaultErrnoRet: try o.optional("defaultErrnoRet"),
            architectures: try o.optional("architectures"), flags: try o.optional("flags"),
            listenerPath: try o.optional("listenerPath"), listenerMetadata: try o.optional("listenerMetadata"),
            syscalls: try o.optional("syscalls"))
    }
}

extension LinuxSyscall: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            names: try o.lenient("names", []), action: try o.lenient("action", ""), errnoRet: try o.optional("errnoRet"),
            args: try o.optional("args"))
    }
}

extension LinuxSeccompArg: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            index: try o.lenient("index", 0), value: try o.lenient("value", 0), valueTwo: try o.optional("valueTwo"),
            op: try o.lenient("op", ""))
    }
}

extension State: JSONDecodable {
    package init(json: JSONValue) throws(JSONDecodingError) {
        let o = try JSONFields(json)
        self.init(
            ociVersion: try o.lenient("ociVersion", ""), id: try o.lenient("id", ""),
            status: try o.lenient("status", "") as String, pid: try o.optional("pid"),
            bundle: try o.lenient("bundle", ""), annotations: try o.optional("annotations"))
    }
}
