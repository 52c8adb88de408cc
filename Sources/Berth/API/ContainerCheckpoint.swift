extension Container {
    /// Saves the running (or paused) container to `options.imagePath` with CRIU, as
    /// `runc checkpoint` does: CRIU freezes and dumps every process, then the container
    /// is removed (cgroup, state, network devices back to the host), unless
    /// `leaveRunning` or `preDump` keeps it. A host where CRIU cannot work gives one
    /// error line with `criu check`'s reason, and nothing is changed.
    public func checkpoint(_ options: CheckpointOptions) throws(BerthError) {
        try Checkpointer(container: self, options: options).run()
    }
}

extension ContainerRuntime {
    /// Brings a checkpointed container back as `id` from the bundle's config.json, as
    /// `runc restore` does: a fresh container (state, cgroup, network devices) whose
    /// processes CRIU restores from `options.imagePath`. The restored init is the
    /// caller's child: `wait()` on the result, or let it go (detach) and close it.
    public func restore(id: String, bundle: String, options: RestoreOptions) throws(BerthError) -> ContainerProcess {
        let restored = try Restorer(store: store, id: id, bundle: bundle, options: options).restore()
        return ContainerProcess(
            container: Container(id: id, runtime: self), pid: restored.record.pid,
            pidfd: restored.pidfd, relayMaster: restored.master)
    }
}
