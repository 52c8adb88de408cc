import BerthSystem
import Glibc

/// A set-up running in a helper `berth` process that has not been waited for: the
/// asynchronous facade (BerthAsync) awaits `helperDescriptor` becoming readable (the
/// helper exited) without blocking a thread, then calls `finish()`, which no longer
/// blocks. Synchronous callers just call `finish()`.
@_spi(BerthAsync)
public final class PendingSetUp<Value>: @unchecked Sendable {
    /// The helper's pid.
    public let pid: Int32
    /// A pidfd of the helper, readable once it exited; -1 when none could be opened
    /// (then only `finish()` can wait).
    public let helperDescriptor: Int32
    private let complete: (ExitStatus) throws(BerthError) -> Value
    private var finished = false

    init(pid: Int32, pidfd: Int32, complete: @escaping (ExitStatus) throws(BerthError) -> Value) {
        self.pid = pid
        self.helperDescriptor = pidfd
        self.complete = complete
    }

    /// Waits for the helper (blocking only while it still runs), reaps it and returns
    /// what it set up, or the error it reported. Call it once.
    public func finish() throws(BerthError) -> Value {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && currentErrno() == .interrupted {}
        finished = true
        return try complete(ExitStatus(rawWaitStatus: status))
    }

    /// Kills the helper (SIGKILL). What it had made dies with it or stays as a partial
    /// record that `Container.delete(force:)` removes; `finish()` then reports the kill.
    public func cancel() {
        if helperDescriptor >= 0 { Pidfd.send(SIGKILL, to: helperDescriptor) } else { kill(pid, SIGKILL) }
    }

    deinit {
        if !finished {
            cancel()
            _ = try? finish()
        }
        if helperDescriptor >= 0 { close(helperDescriptor) }
    }
}

extension ContainerRuntime {
    /// Starts `create` in a fresh helper `berth` process and returns at once (the
    /// asynchronous facade's way in; see `PendingSetUp`).
    @_spi(BerthAsync)
    public func beginCreate(id: String, bundle: String, options: CreateOptions = CreateOptions())
        throws(BerthError) -> PendingSetUp<Container>
    {
        try HelperProcess(runtime: self, options: options).beginCreate(id: id, bundle: bundle, options: options)
    }
}

extension Container {
    /// Starts `delete` in a fresh helper `berth` process and returns at once: deleting a
    /// running container waits for its processes to die (see `PendingSetUp`).
    @_spi(BerthAsync)
    public func beginDelete(force: Bool = false, helperBinary: String? = nil) throws(BerthError) -> PendingSetUp<Void> {
        try HelperProcess(runtime: runtime, helperBinary: helperBinary).beginDelete(id: id, force: force)
    }

    /// Starts `exec` in a fresh helper `berth` process and returns at once (see
    /// `PendingSetUp`).
    @_spi(BerthAsync)
    public func beginExec(_ process: Process, io: ProcessIO = .inherit, options: ExecOptions = ExecOptions())
        throws(BerthError) -> PendingSetUp<ContainerProcess>
    {
        var process = process
        if io == .terminal { process.terminal = true }
        return try HelperProcess(runtime: runtime, helperBinary: options.helperBinary)
            .beginExec(process, io: io, in: self, options: options)
    }
}

extension ContainerProcess {
    /// The process's pidfd, for an event loop to watch: readable once the process
    /// exited; POLLHUP once it was reaped, after which `wait()` no longer blocks. It stays
    /// this object's.
    @_spi(BerthAsync)
    public var descriptor: Int32 { pidfd }
}
