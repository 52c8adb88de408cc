import BerthSpec
import BerthSystem

/// `linux.resources.memory`.
extension ResourceWriter {
    func memory(_ m: LinuxMemory) throws(SyscallError) {
        var limit = m.limit ?? 0
        var swap = m.swap ?? 0
        let reservation = m.reservation ?? 0
        // `--memory -1` alone means "no limit at all": swap (memory+swap) goes unlimited
        // with it, else v1 refuses a memory limit above the memsw limit.
        if limit == -1 && swap == 0 { swap = -1 }
        if limit < -1 { limit = -1 }
        // -1 is unlimited; below it is no limit the kernel or runc knows (and no number to
        // compare the usage with): refused before anything is written.
        guard swap >= -1 else {
            throw SyscallError("linux.resources.memory.swap: invalid memory+swap limit \(swap)", errno: .invalidArgument)
        }
        if m.checkBeforeUpdate == true { try checkUsage(limit: limit, swap: swap) }
        if unified {
            try memoryV2(limit: limit, swap: swap, reservation: reservation)
            if m.disableOOMKiller == true { try write("memory.oom.group", "0") }
        } else {
            try memoryV1(limit: limit, swap: swap)
            if reservation != 0 { try write("memory.soft_limit_in_bytes", String(max(reservation, -1))) }
            if let s = m.swappiness, s <= 100 { try write("memory.swappiness", String(s)) }
            if m.disableOOMKiller == true { try write("memory.oom_control", "1") }
        }
        if let tcp = m.kernelTCP, tcp != 0 {
            if !unified, directory(for: "memory.kmem.tcp.limit_in_bytes") != nil {
                try write("memory.kmem.tcp.limit_in_bytes", String(max(tcp, -1)))
            } else {
                warn(
                    "linux.resources.memory.kernelTCP is not applied: this kernel has no memory.kmem.tcp.limit_in_bytes"
                        + (unified ? " on cgroup v2" : ""))
            }
        }
    }

    /// v1: memory.memsw.limit_in_bytes (memory+swap) must stay at or above
    /// memory.limit_in_bytes after every single write, so whichever moves away from the
    /// other goes first: swap first when it grows past the current limit (or goes
    /// unlimited), the limit first otherwise.
    func memoryV1(limit: Int64, swap: Int64) throws(SyscallError) {
        let hasSwapFile = directory(for: "memory.memsw.limit_in_bytes") != nil
        // An unlimited swap on a kernel without swap accounting is already the case.
        let swap = (swap == -1 && !hasSwapFile) ? 0 : swap
        if limit != 0 && swap != 0 {
            let current = readNumber("memory.limit_in_bytes") ?? 0
            if swap == -1 || current < UInt64(swap) {
                try write("memory.memsw.limit_in_bytes", String(swap))
                try setMemoryLimitV1(limit)
                return
            }
        }
        if limit != 0 { try setMemoryLimitV1(limit) }
        if swap != 0 { try write("memory.memsw.limit_in_bytes", String(swap)) }
    }

    /// The kernel answers EBUSY to a limit below what the cgroup already uses; say so.
    func setMemoryLimitV1(_ limit: Int64) throws(SyscallError) {
        do throws(SyscallError) {
            try write("memory.limit_in_bytes", String(limit))
        } catch  where error.errno == .resourceBusy {
            let usage = readNumber("memory.usage_in_bytes") ?? 0
            let peak = readNumber("memory.max_usage_in_bytes") ?? 0
            throw SyscallError(
                "unable to set memory limit to \(limit) (current usage: \(usage), peak usage: \(peak))",
                errno: .resourceBusy)
        }
    }

    /// v2: memory.swap.max holds swap alone, so the spec's memory+swap becomes swap minus
    /// memory; it is written before memory.max, as runc does.
    func memoryV2(limit: Int64, swap: Int64, reservation: Int64) throws(SyscallError) {
        func text(_ v: Int64) -> String { v == -1 ? "max" : String(v) }
        var swapValue: String?
        if swap == -1 {
            swapValue = "max"
        } else if swap > 0 {
            guard limit > 0 else {
                throw SyscallError(
                    "linux.resources.memory.swap: unable to set swap limit without memory limit",
                    errno: .invalidArgument)
            }
            guard swap >= limit else {
                throw SyscallError(
                    "linux.resources.memory.swap: memory+swap limit should be >= memory limit",
                    errno: .invalidArgument)
            }
            swapValue = String(swap - limit)
        }
        if let swapValue {
            do throws(SyscallError) {
                try write("memory.swap.max", swapValue)
            } catch {
                // Without swap accounting there is nothing to lift or disable.
                guard error.errno == .noSuchFileOrDirectory, swapValue == "max" || swapValue == "0" else { throw error }
            }
        }
        if limit != 0 { try write("memory.max", text(limit)) }
        if reservation != 0 { try write("memory.low", text(max(reservation, -1))) }
    }

    /// `checkBeforeUpdate`: refuse a limit the container already uses more than (the
    /// kernel would otherwise reclaim, or OOM-kill, to meet it). runc's wording.
    func checkUsage(limit: Int64, swap: Int64) throws(SyscallError) {
        let usage = readNumber(unified ? "memory.current" : "memory.usage_in_bytes") ?? 0
        if limit > 0 && usage >= UInt64(limit) {
            throw SyscallError("rejecting memory limit \(limit) below usage \(usage) (checkBeforeUpdate)", errno: .resourceBusy)
        }
        if swap > 0 {
            let total: UInt64
            if unified {
                total = usage + (readNumber("memory.swap.current") ?? 0)
            } else {
                total = readNumber("memory.memsw.usage_in_bytes") ?? usage
            }
            if total >= UInt64(swap) {
                throw SyscallError(
                    "rejecting memory+swap limit \(swap) below usage \(total) (checkBeforeUpdate)",
                    errno: .resourceBusy)
            }
        }
    }
}
