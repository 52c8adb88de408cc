import BerthCgroups
import BerthSpec
import Glibc

/// What `Container.events` reports.
public enum ContainerEvent: Sendable {
    /// The container's resource usage at this moment.
    case stats(ContainerStats)
    /// A process of the container was killed for lack of memory since the last report.
    case oom
}

extension Container {
    /// The container's resource usage now, read from its cgroup.
    public func stats() throws(BerthError) -> ContainerStats {
        CgroupStats.read(paths: try cgroupPaths())
    }

    /// Reports the container's stats once per `interval` (`.seconds(5)`,
    /// `.milliseconds(500)`), each preceded by `.oom` when an OOM kill happened since the
    /// previous report, until the container stops or `handler` returns false.
    /// Synchronous: it returns when done.
    public func events(every interval: Duration, _ handler: (ContainerEvent) -> Bool) throws(BerthError) {
        let paths = try cgroupPaths()
        var ooms = CgroupStats.read(paths: paths).oomKills
        while (try? state().status).map({ $0 != .stopped }) == true {
            let stats = CgroupStats.read(paths: paths)
            if stats.oomKills > ooms {
                ooms = stats.oomKills
                guard handler(.oom) else { return }
            }
            guard handler(.stats(stats)) else { return }
            // nanosleep, not usleep: an interval past 71 minutes does not fit useconds_t.
            let (seconds, attoseconds) = interval.components
            var pause = seconds < 0 ? timespec() : timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            _ = nanosleep(&pause, nil)
        }
    }
}
