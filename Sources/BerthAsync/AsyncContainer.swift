@_spi(BerthAsync) import Berth
import Glibc

/// One container, for async code (see `AsyncContainerRuntime`). The calls that only
/// read or write a few files (`start`, `kill`, `state`, `pause`, `resume`, `update`,
/// `stats`, `processes`) are the synchronous library's; the others suspend.
public struct AsyncContainer: Sendable {
    /// The synchronous value underneath.
    public let container: Container
    let helperBinary: String?

    /// The container's id.
    public var id: String { container.id }

    /// The container's init, when this value came from `create`.
    public var initProcess: AsyncContainerProcess? {
        container.initProcess.map { AsyncContainerProcess(process: $0, helperBinary: helperBinary) }
    }

    init(container: Container, helperBinary: String?) {
        self.container = container
        self.helperBinary = helperBinary
    }

    /// Starts a created container (`Container.start()`).
    public func start() throws {
        try container.start()
    }

    /// Runs `process` in the container (see `Container.exec`) in a fresh `berth exec`;
    /// cancellation kills the helper, and the process if it had started.
    public func exec(_ process: Process, io: ProcessIO = .inherit, options: ExecOptions = ExecOptions()) async throws
        -> AsyncContainerProcess
    {
        var options = options
        if options.helperBinary == nil { options.helperBinary = helperBinary }
        let started = try await Helper.finish(try container.beginExec(process, io: io, options: options))
        if Task.isCancelled {
            try? started.signal(SIGKILL)
            throw CancellationError()
        }
        return AsyncContainerProcess(process: started, helperBinary: helperBinary)
    }

    /// Suspends until the init exits and returns its status; cancellation kills the
    /// container's init (see `AsyncContainerProcess.wait()`).
    public func wait() async throws -> ExitStatus {
        let process = try initProcess ?? AsyncContainerProcess(process: container.openInitProcess(), helperBinary: helperBinary)
        return try await process.wait()
    }

    /// Sends `signal` to the init, or with `all` to every process (`Container.kill`).
    public func kill(_ signal: Int32 = SIGTERM, all: Bool = false) throws {
        try container.kill(signal, all: all)
    }

    /// Deletes the container in a fresh `berth delete` (with `force`, a running one is
    /// killed first, which can take a while).
    public func delete(force: Bool = false) async throws {
        try await Helper.finish(try container.beginDelete(force: force, helperBinary: helperBinary))
    }

    /// Removes what a cancelled call made (uncancellable itself).
    func removeAfterCancel() async throws {
        let pending = try container.beginDelete(force: true, helperBinary: helperBinary)
        if pending.helperDescriptor >= 0 {
            await EventLoop.shared.wait(for: pending.helperDescriptor, events: Int16(POLLIN))
        }
        try pending.finish()
    }

    /// The current state (`Container.state()`).
    public func state() throws -> ContainerState { try container.state() }
    /// Freezes every process (`Container.pause()`).
    public func pause() throws { try container.pause() }
    /// Thaws a paused container (`Container.resume()`).
    public func resume() throws { try container.resume() }
    /// Applies new limits (`Container.update(resources:)`).
    public func update(resources: LinuxResources) throws { try container.update(resources: resources) }
    /// Resource usage now (`Container.stats()`).
    public func stats() throws -> ContainerStats { try container.stats() }
    /// Host pids of the container's processes (`Container.processes()`).
    public func processes() throws -> [Int32] { try container.processes() }
}

/// A container process (an init or an exec'd process) for async code.
public struct AsyncContainerProcess: Sendable {
    /// The synchronous handle underneath (pid, `signal`, the stream ends, the terminal).
    public let process: ContainerProcess
    let helperBinary: String?

    /// The container the process belongs to.
    public var container: AsyncContainer { AsyncContainer(container: process.container, helperBinary: helperBinary) }
    /// The process's host pid.
    public var pid: Int32 { process.pid }
    /// The write end of its standard input (`ProcessIO.pipes`).
    public var standardInput: Int32? { process.standardInput }
    /// The read end of its standard output (`ProcessIO.pipes`).
    public var standardOutput: Int32? { process.standardOutput }
    /// The read end of its standard error (`ProcessIO.pipes`).
    public var standardError: Int32? { process.standardError }
    /// Its pseudo-terminal's master (`ProcessIO.terminal`).
    public var terminal: PseudoTerminal? { process.terminal }

    /// Sends `signal` to the process.
    public func signal(_ signal: Int32) throws {
        try process.signal(signal)
    }

    /// Suspends until the process has ended (and been reaped) and returns its exit
    /// status. Cancelling the task kills the process (SIGKILL) and throws
    /// `CancellationError` once it is gone.
    public func wait() async throws -> ExitStatus {
        let process = self.process
        return try await withTaskCancellationHandler {
            // POLLHUP: reaped by its parent (the helper that started it has exited, so
            // that is whoever inherited it); wait() then returns at once.
            await EventLoop.shared.wait(for: process.descriptor, events: 0)
            if Task.isCancelled { throw CancellationError() }
            return try process.wait()
        } onCancel: {
            try? process.signal(SIGKILL)
        }
    }
}
