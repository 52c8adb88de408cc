import BerthCgroups
import BerthSpec
import BerthSystem
import Glibc

/// `checkpoint`: has CRIU dump a running (or paused) container into an image directory,
/// as runc does, then removes the container unless it is to keep running.
struct Checkpointer {
    let container: Container
    let options: CheckpointOptions

    /// The file in the image directory that lists where the init's stdio pointed (runc's
    /// name and format): pipes among them are handed to the restored process again.
    static let descriptorsFile = "descriptors.json"
    static let logFile = "dump.log"
    /// Without `org.criu.config`, CRIU reads the configuration file runc names.
    static let defaultConfigFile = "/etc/criu/runc.conf"
    static let configAnnotation = "org.criu.config"

    /// CRIU versions (major·10000 + minor·100) that brought what berth asks for.
    static let externalNetworkVersion = 31100
    static let externalPIDVersion = 31500
    static let v2FreezerVersion = 31400
    static let statusNotificationVersion = 31500

    func debug(_ text: @autoclosure () -> String) {
        if let handler = options.debugHandler { handler(text()) }
    }

    func run() throws(BerthError) {
        let store = container.store
        let lock = try store.lock(container.id)
        defer { close(lock) }
        let record = try store.load(container.id)
        let spec = try record.spec()
        let status = container.status(record)
        if status == .created || status == .stopped || status == .creating {
            throw BerthError(.invalidState, "Container cannot be checkpointed in \(status.rawValue) state")
        }
        try Self.validate(options)
        let imagePath = Paths.absolute(options.imagePath)

        let session = try CRIUSession(binary: options.criuPath, stdio: .quiet)
        defer { session.finish() }
        try session.checkVersion()
        let features = try session.checkFeatures(CRIUFeatures(memoryTracking: true, lazyPages: options.lazyPages ? true : nil))
        var missing: [String] = []
        if options.preDump && features.memoryTracking != true { missing.append("MemTrack") }
        if options.lazyPages && features.lazyPages != true { missing.append("LazyPages") }
        if !missing.isEmpty { throw BerthError(.system, "criu is missing features: [\(missing.joined(separator: " "))]") }
        debug("checkpoint \(container.id): CRIU \(session.version), image directory \(imagePath)")

        // A container can be checkpointed again and again: the directories may exist.
        let imagesFD = try Self.openDirectory(imagePath)
        defer { close(imagesFD) }
        var opts = CRIUOptions()
        opts.imagesDirFD = imagesFD
        opts.logFile = Self.logFile
        var logDirectory = imagePath
        var workFD: Int32 = -1
        defer { if workFD >= 0 { close(workFD) } }
        if let work = options.workPath, !work.isEmpty {
            logDirectory = Paths.absolute(work)
            workFD = try Self.openDirectory(logDirectory)
            opts.workDirFD = workFD
        }
        opts.root = record.rootfs
        opts.manageCgroupsMode = options.manageCgroupsMode
        opts.pid = record.pid
        opts.shellJob = options.shellJob
        opts.leaveRunning = options.leaveRunning
        opts.tcpEstablished = options.tcpEstablished
        opts.extUnixSocket = options.externalUnixSockets
        opts.fileLocks = options.fileLocks
        opts.emptyNamespaces = Self.emptyNamespaceMask(options.emptyNamespaces)
        opts.autoDedup = options.autoDedup
        opts.lazyPages = options.lazyPages
        opts.configFile = Self.configFile(spec)

        // A network or pid namespace joined by path belongs to someone else: CRIU leaves
        // it alone and expects it back at restore (`inherit_fd`).
        for (kind, minimum) in [(Namespace.network, Self.externalNetworkVersion), (Namespace.pid, Self.externalPIDVersion)] {
            guard let path = spec.linux?.namespaces?.first(where: { $0.type == kind.rawValue })?.path,
                !path.isEmpty
            else { continue }
            guard session.supports(minimum) else {
                throw BerthError(
                    .system, "criu lacks support for external \(kind.procName) namespace during checkpointing process (old criu version?)")
            }
            var st = stat()
            guard stat(path, &st) == 0 else {
                throw BerthError.system("checkpoint", SyscallError("stat", path, errno: currentErrno()))
            }
            opts.external.append("\(kind.procName)[\(st.st_ino)]:\(Self.externalKey(kind))")
        }
        // The freezer stops the whole cgroup at once (CRIU otherwise stops each task
        // with ptrace); v2's only from CRIU 3.14.
        if !record.cgroupUnified || session.supports(Self.v2FreezerVersion) {
            opts.freezeCgroup = record.cgroupPaths.first {
                FileIO.exists($0 + "/freezer.state") || FileIO.exists($0 + "/cgroup.freeze")
            }
        }
        if let server = options.pageServer, !server.address.isEmpty, server.port != 0 {
            opts.pageServer = (server.address, server.port)
        }
        if let parent = options.parentPath, !parent.isEmpty {
            opts.parentImage = parent
            opts.trackMemory = true
        }
        var statusFD = options.lazyPages ? options.statusFD : -1
        if statusFD >= 0 && !session.supports(Self.statusNotificationVersion) {
            // Older CRIU writes the byte itself; 3.15 and later tell berth (status-ready).
            opts.statusFD = statusFD
        }
        if !options.preDump {
            let mounts = CheckpointMounts(spec: spec, bundle: record.bundle, rootfs: record.rootfs)
            let present = CheckpointMounts.mountPoints(of: record.pid)
            var seen: Set<String> = []
            for e in mounts.externals(cgroupPaths: record.cgroupPaths, layout: CgroupLayout.detect())
            where present.contains(e.mountpoint) && seen.insert(e.mountpoint).inserted {
                opts.externalMounts.append((e.mountpoint, e.mountpoint))
            }
            try Self.writeDescriptors(pid: record.pid, to: imagePath)
        }

        let type: CRIURequestType = options.preDump ? .preDump : .dump
        debug("checkpoint \(container.id): \(type.protoName) of init \(record.pid), \(opts.externalMounts.count) external mounts")
        do throws(BerthError) {
            try session.send(CRIURequest(type: type, options: opts))
            while true {
                guard let (response, fds) = try session.receive() else {
                    throw session.unexpectedEOF()
                }
                for fd in fds { close(fd) }
                guard response.success else {
                    throw BerthError(.system, "criu failed: type \(response.typeName) errno \(response.errno ?? 0)")
                }
                if response.type == CRIURequestType.notify.rawValue {
                    debug("checkpoint \(container.id): CRIU notifies \(response.notifyScript ?? "")")
                    if response.notifyScript == "status-ready", statusFD >= 0 {
                        // The lazy-pages server is ready: tell whoever waits on the descriptor.
                        var zero: UInt8 = 0
                        _ = write(statusFD, &zero, 1)
                        close(statusFD)
                        statusFD = -1
                    }
                    try session.send(CRIURequest(type: .notify, notifySuccess: true))
                    continue
                }
                guard response.type == type.rawValue else {
                    throw BerthError(.system, "unable to parse the response \(response.typeName)")
                }
                break
            }
            let exit = session.finish()
            // A pre-dump's CRIU waits for a further request and exits unhappy when none
            // comes: that is expected.
            if type != .preDump, let exit, exit.code != 0 {
                throw BerthError(.system, "criu failed: " + (exit.signal.map { "signal: \($0)" } ?? "exit status \(exit.code)"))
            }
        } catch {
            throw Self.withLog(error, directory: logDirectory, file: Self.logFile)
        }
        debug("checkpoint \(container.id): \(type.protoName) done")
        if !options.preDump && !options.leaveRunning {
            // As runc: the dumped container is gone (CRIU killed its processes).
            try container.destroy(record, status: container.status(record))
        }
    }

    /// runc's checks of the options, made before anything is written.
    static func validate(_ options: CheckpointOptions) throws(BerthError) {
        if options.imagePath.isEmpty { throw BerthError(.invalidSpec, "invalid directory to save checkpoint") }
        if let parent = options.parentPath, !parent.isEmpty {
            if parent.hasPrefix("/") { throw BerthError(.invalidSpec, "--parent-path must be relative") }
            let real = Paths.canonical(Paths.absolute(options.imagePath) + "/" + parent)
            var st = stat()
            if stat(real, &st) != 0 {
                throw BerthError(.invalidSpec, "invalid --parent-path: stat \(real): \(errnoText(currentErrno()))")
            }
            if (st.st_mode & S_IFMT) != S_IFDIR {
                throw BerthError(.invalidSpec, "invalid --parent-path: \(real): \(errnoText(.notDirectory))")
            }
        }
        _ = try emptyNamespaceMaskChecked(options.emptyNamespaces)
        if options.lazyPages && options.statusFD != -1 {
            let flags = fcntl(options.statusFD, F_GETFL)
            if flags < 0 {
                throw BerthError(.invalidSpec, "invalid --status-fd argument \(options.statusFD): \(errnoText(currentErrno()))")
            }
            if flags & O_ACCMODE == O_RDONLY {
                throw BerthError(.invalidSpec, "invalid --status-fd argument \(options.statusFD): not writable")
            }
        }
    }

    /// CLONE_NEWNET always (runc leaves network devices and their configuration to
    /// whoever set them up), plus the namespaces asked for.
    static func emptyNamespaceMask(_ names: [String]) -> UInt32 {
        (try? emptyNamespaceMaskChecked(names)) ?? UInt32(Namespace.network.cloneFlag)
    }

    static func emptyNamespaceMaskChecked(_ names: [String]) throws(BerthError) -> UInt32 {
        for name in names where name != "network" {
            throw BerthError(.invalidSpec, "namespace \"\(name)\" is not supported")
        }
        return UInt32(Namespace.network.cloneFlag)
    }

    /// CRIU's configuration file: the annotation's (empty: none), else runc's.
    static func configFile(_ spec: Spec) -> String? {
        guard let value = spec.annotations?[configAnnotation] else { return defaultConfigFile }
        return value.isEmpty ? nil : value
    }

    /// The key of an external namespace, as runc names it: `extRootNetNS`, `extRootPidNS`.
    static func externalKey(_ ns: Namespace) -> String {
        let name = ns.procName
        return "extRoot" + name.prefix(1).uppercased() + name.dropFirst() + "NS"
    }

    /// Creates the directory if missing (mode 0700) and opens it.
    static func openDirectory(_ path: String) throws(BerthError) -> Int32 {
        if mkdir(path, 0o700) != 0 && currentErrno() != .fileExists {
            do throws(SyscallError) { try FileIO.makeDirectories(path, mode: 0o700) } catch {
                throw BerthError.system("checkpoint", error)
            }
        }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BerthError.system("checkpoint", SyscallError("open", path, errno: currentErrno())) }
        return fd
    }

    /// Writes where the init's descriptors 0-2 point (`pipe:[N]`, `/dev/null`, ...).
    static func writeDescriptors(pid: Int32, to imagePath: String) throws(BerthError) {
        var w = JSONWriter()
        w.beginArray()
        for fd in 0...2 { w.string(readLink("/proc/\(pid)/fd/\(fd)") ?? "") }
        w.endArray()
        do throws(SyscallError) {
            try FileIO.writeAtomically(imagePath + "/" + descriptorsFile, w.bytes, mode: 0o600)
        } catch { throw BerthError.system("checkpoint", error) }
    }

    /// The error with the first error line of CRIU's log and where the log is, so the
    /// one line says why (runc quotes the log in warnings instead).
    static func withLog(_ error: BerthError, directory: String, file: String) -> BerthError {
        let path = directory + "/" + file
        guard let text = try? FileIO.readString(path),
            let line = text.split(separator: "\n").first(where: { $0.contains("Error") })
        else { return error }
        let reason = CRIUSession.withoutLocation(String(line))
        return BerthError(error.code, "\(error.message): \(reason) (see \(path))", errno: error.errno)
    }
}
