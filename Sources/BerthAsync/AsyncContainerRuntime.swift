@_spi(BerthAsync) import Berth
import Glibc

/// The container lifecycle for programs built on Swift concurrency (servers on SwiftNIO,
/// Vapor or Hummingbird): the same calls as `ContainerRuntime`, `async`.
///
/// Every set-up (`create`, `run`, `exec`, and `delete`, which waits for processes to
/// die) runs in a fresh `berth` process, as the synchronous library does from a program
/// with threads; the calling task awaits its end, and a container process's end, without
/// blocking a thread (one event-loop thread polls every descriptor awaited). Cancelling
/// the task kills what the call started: the helper `berth` and the container it was
/// creating, or the process a `wait()` awaits.
///
/// ```swift
/// let runtime = AsyncContainerRuntime(root: "/run/berth")
/// let process = try await runtime.run(id: "web-1", bundle: "/srv/bundle",
///                                     options: CreateOptions(io: .pipes))
/// let output = try await AsyncStreams.readAll(process.standardOutput!)
/// let status = try await process.wait()
/// try await process.container.delete()
/// ```
public struct AsyncContainerRuntime: Sendable {
    /// The synchronous runtime underneath (state root, `list()`, `container(id:)`).
    public let runtime: ContainerRuntime
    /// The `berth` executable each set-up runs in; nil for `$BERTH_BINARY`, then `berth`
    /// on `$PATH`.
    public let helperBinary: String?

    /// - Parameters:
    ///   - root: the state root (runc's `--root`).
    ///   - helperBinary: the `berth` executable that runs the set-ups.
    public init(root: String = "/run/berth", helperBinary: String? = nil) {
        self.runtime = ContainerRuntime(root: root)
        self.helperBinary = helperBinary
    }

    /// Creates a container from the bundle (see `ContainerRuntime.create`); its init waits
    /// for `start()`. Cancellation kills the helper and removes what it made.
    public func create(id: String, bundle: String, options: CreateOptions = CreateOptions()) async throws
        -> AsyncContainer
    {
        var options = options
        if options.helperBinary == nil { options.helperBinary = helperBinary }
        let pending = try runtime.beginCreate(id: id, bundle: bundle, options: options)
        let created: Container
        do {
            created = try await Helper.finish(pending)
        } catch {
            // What a killed `berth create` made is a (partial) container record.
            if Task.isCancelled, let partial = try? runtime.container(id: id) {
                try? await AsyncContainer(container: partial, helperBinary: helperBinary).removeAfterCancel()
            }
            throw error
        }
        let container = AsyncContainer(container: created, helperBinary: helperBinary)
        if Task.isCancelled {
            try? await container.removeAfterCancel()
            throw CancellationError()
        }
        return container
    }

    /// Creates and starts a container (runc's `run`, detached): the returned process is
    /// its init, to await and signal.
    public func run(id: String, bundle: String, options: CreateOptions = CreateOptions()) async throws
        -> AsyncContainerProcess
    {
        let container = try await create(id: id, bundle: bundle, options: options)
        do {
            try container.start()
        } catch {
            try? await container.delete(force: true)
            throw error
        }
        guard let process = container.initProcess else { throw BerthError(.system, "run: the init is gone") }
        return process
    }

    /// The container with this id (see `ContainerRuntime.container(id:)`).
    public func container(id: String) throws -> AsyncContainer {
        AsyncContainer(container: try runtime.container(id: id), helperBinary: helperBinary)
    }

    /// The states of all containers, sorted by id.
    public func list() throws -> [ContainerState] {
        try runtime.list()
    }
}

/// Awaiting a helper `berth`.
enum Helper {
    /// Suspends until the helper exits (cancellation kills it), then returns its result.
    static func finish<Value>(_ pending: PendingSetUp<Value>) async throws -> Value {
        try await withTaskCancellationHandler {
            if pending.helperDescriptor >= 0 {
                await EventLoop.shared.wait(for: pending.helperDescriptor, events: Int16(POLLIN))
            }
            do {
                return try pending.finish()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                throw error
            }
        } onCancel: {
            pending.cancel()
        }
    }
}
