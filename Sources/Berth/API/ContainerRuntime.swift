import BerthSpec
import BerthSystem
import Glibc

/// The entry point of the library: a state root holding containers.
///
/// All calls are synchronous. `create` and `run` clone the container init from the
/// calling process, which is only safe while it has a single thread; from a process with
/// more threads they run the set-up in a fresh `berth` process instead (see
/// `CreateOptions.helperBinary`).
public struct ContainerRuntime: Sendable {
    /// The state root (runc's `--root`).
    public let root: String
    let store: StateStore

    /// - Parameter root: the directory holding one sub-directory per container.
    public init(root: String = "/run/berth") {
        self.root = root
        self.store = StateStore(root: root)
    }

    /// Creates a container from the bundle (runc's `create`): its init is set up and
    /// waits for `Container.start()`.
    ///
    /// The init's standard streams are `options.io`; the returned container's
    /// `initProcess` holds the caller's ends, and `Container.wait()` its exit status.
    /// From a program with more than one thread, the set-up runs in a fresh `berth`
    /// process (`CreateOptions.helperBinary`).
    public func create(id: String, bundle: String, options: CreateOptions = CreateOptions()) throws(BerthError) -> Container {
        let threads: Int
        do throws(SyscallError) { threads = try Clone.countThreads() } catch { throw BerthError.system("create", error) }
        if threads != 1 {
            return try HelperProcess(runtime: self, options: options).create(id: id, bundle: bundle, options: options)
        }
        let launched: Launcher.Launched
        do throws(BerthError) {
            launched = try Launcher(store: store, id: id, bundle: bundle, options: options, startImmediately: false).launch()
        } catch {
            // In a helper `berth create`: the embedding library gets the error with its code.
            HelperProcess.report(error)
            throw error
        }
        var container = Container(id: id, runtime: self)
        // The init sent its pty master before it reported ready.
        var terminal: PseudoTerminal?
        if launched.consoleReceiver >= 0 {
            let master = Console.receiveMaster(launched.consoleReceiver)
            close(launched.consoleReceiver)
            if master >= 0 { terminal = PseudoTerminal(master: master) }
        }
        container.initProcess = ContainerProcess(
            container: container, pid: launched.record.pid, pidfd: launched.pidfd,
            streams: launched.streams, terminal: terminal)
        return container
    }

    /// Creates and starts a container without the exec fifo (runc's `run`); the returned
    /// process is its init, to wait for and signal. Signals to forward
    /// (`ContainerProcess.waitForwardingSignals()`) should be blocked with
    /// `SignalForwarder.block()` before calling this, so none is lost in between.
    ///
    /// From a program with more than one thread this is `create` (in a helper `berth`
    /// process) followed by `start`.
    public func run(id: String, bundle: String, options: CreateOptions = CreateOptions()) throws(BerthError) -> ContainerProcess {
        let threads: Int
        do throws(SyscallError) { threads = try Clone.countThreads() } catch { throw BerthError.system("run", error) }
        guard threads == 1 else {
            let container = try create(id: id, bundle: bundle, options: options)
            do throws(BerthError) { try container.start() } catch {
                _ = try? container.delete(force: true)
                throw error
            }
            guard let process = container.initProcess else { throw BerthError(.system, "run: the init is gone") }
            return process
        }
        let launched = try Launcher(store: store, id: id, bundle: bundle, options: options, startImmediately: true).launch()
        let container = Container(id: id, runtime: self)
        guard let sync = launched.sync else {
            return ContainerProcess(
                container: container, pid: launched.record.pid, pidfd: launched.pidfd,
                streams: launched.streams)
        }
        defer { sync.close() }
        var notifyFD: Int32 = -1
        func fail(_ error: BerthError) -> BerthError {
            if notifyFD >= 0 { close(notifyFD) }
            if launched.consoleReceiver >= 0 { close(launched.consoleReceiver) }
            launched.streams?.closeAll()
            close(launched.pidfd)
            _ = try? container.delete(force: true)
            return error
        }
        if options.notifySocket != nil {
            do throws(BerthError) { notifyFD = try NotifySocket.bind(stateDirectory: store.directory(id)) } catch {
                throw fail(error)
            }
        }
        let reply: SyncMessage?
        do throws(SyscallError) {
            try sync.send(.startProcess)
            // The sync socket is close-on-exec: end of stream means execve succeeded.
            reply = try sync.receive()
        } catch {
            throw fail(BerthError.system("start container", error))
        }
        if case .failed(let error) = reply {
            throw fail(BerthError.containerProcess(error))
        }
        var master: Int32 = -1
        if launched.consoleReceiver >= 0 {
            master = Console.receiveMaster(launched.consoleReceiver)
            close(launched.consoleReceiver)
        }
        do throws(BerthError) { try container.runHooks(.poststart, record: launched.record) } catch {
            // As runc: a failing poststart hook fails run and takes the container down.
            if master >= 0 { close(master) }
            if notifyFD >= 0 { close(notifyFD) }
            launched.streams?.closeAll()
            close(launched.pidfd)
            _ = try? container.delete(force: true)
            throw error
        }
        let toCaller = options.io == .terminal && master >= 0
        return ContainerProcess(
            container: container, pid: launched.record.pid, pidfd: launched.pidfd, streams: launched.streams,
            terminal: toCaller ? PseudoTerminal(master: master) : nil, relayMaster: toCaller ? -1 : master,
            notify: notifyFD >= 0 ? (notifyFD, options.notifySocket ?? "") : nil)
    }

    /// The container with this id.
    public func container(id: String) throws(BerthError) -> Container {
        do throws(SpecError) { try ContainerID.validate(id) } catch { throw BerthError.spec(error) }
        // The directory is the container: with state.json, or with only the intent of a
        // create in progress or that died (see `CreateIntent`).
        guard FileIO.exists(store.directory(id)) else { throw BerthError.containerNotExist }
        return Container(id: id, runtime: self)
    }

    /// The states of all containers, sorted by id: those whose create is in progress
    /// (`creating`) or died half-way (`stopped`, until `delete`) too. A root directory that
    /// does not exist holds no containers, or with `rootMustExist` (a root the caller named,
    /// as runc 1.2 treats `--root`) is an error.
    public func list(rootMustExist: Bool = false) throws(BerthError) -> [ContainerState] {
        var states: [ContainerState] = []
        for id in try store.ids(rootMustExist: rootMustExist) {
            if let s = try? Container(id: id, runtime: self).state() { states.append(s) }
        }
        return states
    }
}

extension ContainerRuntime {
    /// True in a `berth` process the library started to run a set-up for a program with
    /// threads: its errors go back to the library, typed, and its standard error may be
    /// the container's, so the CLI writes no error there.
    public static var runsAsLibraryHelper: Bool { HelperProcess.isHelper }
}
