/// The messages of CRIU's RPC protocol (`criu/images/rpc.proto`) that berth sends and
/// reads, with the schema's field numbers. Only the fields berth uses are modelled.

/// `criu_req_type`. Its names appear in errors as runc prints them (`type DUMP`).
enum CRIURequestType: Int, Sendable {
    case empty = 0, dump = 1, restore = 2, check = 3, preDump = 4, pageServer = 5, notify = 6
    case cpuinfoDump = 7, cpuinfoCheck = 8, featureCheck = 9, version = 10

    var protoName: String {
        switch self {
        case .empty: "EMPTY"
        case .dump: "DUMP"
        case .restore: "RESTORE"
        case .check: "CHECK"
        case .preDump: "PRE_DUMP"
        case .pageServer: "PAGE_SERVER"
        case .notify: "NOTIFY"
        case .cpuinfoDump: "CPUINFO_DUMP"
        case .cpuinfoCheck: "CPUINFO_CHECK"
        case .featureCheck: "FEATURE_CHECK"
        case .version: "VERSION"
        }
    }
}

/// `criu_opts`: what a dump or restore is asked to do.
struct CRIUOptions: Sendable {
    var imagesDirFD: Int32 = -1
    var pid: Int32?
    var leaveRunning = false
    var extUnixSocket = false
    var tcpEstablished = false
    var evasiveDevices = false
    var shellJob = false
    var fileLocks = false
    var logLevel: Int32 = 4
    var logFile: String?
    var pageServer: (address: String, port: Int32)?
    var notifyScripts = true
    var root: String?
    var parentImage: String?
    var trackMemory = false
    var autoDedup = false
    var workDirFD: Int32?
    /// `ext_mnt`: on dump, mountpoint → the name recorded in the image; on restore, that
    /// name → the host path to bind there.
    var externalMounts: [(key: String, value: String)] = []
    var cgroupRoots: [(controller: String?, path: String)] = []
    var restoreAsSibling = false
    var inheritFDs: [(key: String, fd: Int32)] = []
    var external: [String] = []
    var emptyNamespaces: UInt32 = 0
    var joinNamespaces: [(ns: String, file: String)] = []
    var freezeCgroup: String?
    var lazyPages = false
    var statusFD: Int32?
    var orphanPtsMaster = true
    var configFile: String?
    var lsmProfile: String?
    var lsmMountContext: String?
    var manageCgroupsMode: CheckpointCgroupsMode?

    func encoded() -> ProtobufWriter {
        var w = ProtobufWriter()
        w.int32(1, imagesDirFD)
        if let pid { w.int32(2, pid) }
        w.bool(3, leaveRunning)
        w.bool(4, extUnixSocket)
        w.bool(5, tcpEstablished)
        if evasiveDevices { w.bool(6, true) }
        w.bool(7, shellJob)
        w.bool(8, fileLocks)
        w.int32(9, logLevel)
        if let logFile { w.string(10, logFile) }
        if let pageServer {
            var ps = ProtobufWriter()
            ps.string(1, pageServer.address)
            ps.int32(2, pageServer.port)
            w.message(11, ps)
        }
        w.bool(12, notifyScripts)
        if let root { w.string(13, root) }
        if let parentImage { w.string(14, parentImage) }
        if trackMemory { w.bool(15, true) }
        w.bool(16, autoDedup)
        if let workDirFD { w.int32(17, workDirFD) }
        for (key, value) in externalMounts {
            var m = ProtobufWriter()
            m.string(1, key)
            m.string(2, value)
            w.message(23, m)
        }
        // manage_cgroups is what CRIU before manage_cgroups_mode read.
        w.bool(24, true)
        for (controller, path) in cgroupRoots {
            var m = ProtobufWriter()
            if let controller { m.string(1, controller) }
            m.string(2, path)
            w.message(25, m)
        }
        if restoreAsSibling { w.bool(26, true) }
        for (key, fd) in inheritFDs {
            var m = ProtobufWriter()
            m.string(1, key)
            m.int32(2, fd)
            w.message(27, m)
        }
        if let manageCgroupsMode { w.int32(34, manageCgroupsMode.criuValue) } else { w.int32(34, CheckpointCgroupsMode.criuDefault) }
        for e in external { w.string(37, e) }
        w.uint32(38, emptyNamespaces)
        for (ns, file) in joinNamespaces {
            var m = ProtobufWriter()
            m.string(1, ns)
            m.string(2, file)
            w.message(39, m)
        }
        if let freezeCgroup { w.string(44, freezeCgroup) }
        w.bool(48, lazyPages)
        if let statusFD { w.int32(49, statusFD) }
        w.bool(50, orphanPtsMaster)
        if let configFile { w.string(51, configFile) }
        if let lsmProfile { w.string(53, lsmProfile) }
        if let lsmMountContext { w.string(63, lsmMountContext) }
        return w
    }
}

/// `criu_features`, asked for with FEATURE_CHECK.
struct CRIUFeatures: Sendable, Equatable {
    var memoryTracking: Bool?
    var lazyPages: Bool?

    func encoded() -> ProtobufWriter {
        var w = ProtobufWriter()
        if let memoryTracking { w.bool(1, memoryTracking) }
        if let lazyPages { w.bool(2, lazyPages) }
        return w
    }

    init(memoryTracking: Bool? = nil, lazyPages: Bool? = nil) {
        self.memoryTracking = memoryTracking
        self.lazyPages = lazyPages
    }

    init(_ m: ProtobufMessage) {
        memoryTracking = m.bool(1)
        lazyPages = m.bool(2)
    }
}

/// `criu_req`.
struct CRIURequest: Sendable {
    var type: CRIURequestType
    var options: CRIUOptions?
    var notifySuccess: Bool?
    var keepOpen = false
    var features: CRIUFeatures?

    func encoded() -> [UInt8] {
        var w = ProtobufWriter()
        w.int32(1, Int32(type.rawValue))
        if let options { w.message(2, options.encoded()) }
        if let notifySuccess { w.bool(3, notifySuccess) }
        if keepOpen { w.bool(4, true) }
        if let features { w.message(5, features.encoded()) }
        return w.bytes
    }
}

/// `criu_resp`.
struct CRIUResponse: Sendable {
    var type: Int
    var success: Bool
    /// `restore.pid`: the restored root task.
    var restoredPID: Int32?
    /// `notify.script` and `notify.pid`.
    var notifyScript: String?
    var notifyPID: Int32?
    var errno: Int32?
    var errorMessage: String?
    var features: CRIUFeatures?
    /// major·10000 + minor·100 + sublevel, as runc compares versions (3.17.1 → 31701).
    var version: Int?

    init(_ bytes: [UInt8]) throws(ProtobufMessage.DecodeError) {
        let m = try ProtobufMessage(bytes)
        guard let type = m.varint(1), let success = m.bool(2) else { throw ProtobufMessage.DecodeError() }
        self.type = Int(type)
        self.success = success
        restoredPID = m.message(4)?.int32(1)
        if let notify = m.message(5) {
            notifyScript = notify.string(1)
            notifyPID = notify.int32(2)
        }
        errno = m.int32(7)
        features = m.message(8).map(CRIUFeatures.init)
        errorMessage = m.string(9)
        if let v = m.message(10), let major = v.int32(1), let minor = v.int32(2) {
            version = Int(major) * 10000 + Int(minor) * 100 + Int(v.int32(4) ?? 0)
        }
    }

    var typeName: String { CRIURequestType(rawValue: type)?.protoName ?? String(type) }
}
