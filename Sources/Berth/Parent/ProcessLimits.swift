import BerthSpec
import BerthSystem
import Glibc

/// `process.rlimits` whose hard limit is above berth's own (its caller's: berth raises
/// none of its own limits): the child sets every configured limit itself, but a process
/// in a user namespace may not raise a hard limit (that needs CAP_SYS_RESOURCE over the
/// initial user namespace). A root berth raises those hard limits on the child from
/// outside (prlimit) first, as runc does, before the child's set-up; only raised, so
/// that nothing of the set-up runs under a lower limit than berth's. The child then sets
/// the exact values.
enum ProcessLimits {
    static func raiseHardLimits(_ limits: [POSIXRlimit]?, of pid: Int32) throws(BerthError) {
        guard Credentials.isRoot else { return }
        for limit in limits ?? [] {
            guard let resource = RlimitTable.resource(named: limit.type) else { continue }
            var own = rlimit()
            guard getrlimit(__rlimit_resource_t(UInt32(bitPattern: resource)), &own) == 0,
                limit.hard > UInt64(own.rlim_max)
            else { continue }
            do throws(SyscallError) {
                try ResourceLimits.set(pid: pid, resource, soft: UInt64(own.rlim_cur), hard: limit.hard)
            } catch {
                throw BerthError(
                    .system, "setrlimit \(limit.type) (soft \(limit.soft), hard \(limit.hard)): \(errnoText(error.errno))",
                    errno: error.errno.rawValue)
            }
        }
    }
}
