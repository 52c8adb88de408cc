import CBerth
import Glibc

/// The signal mask and dispositions around the clone. The forwarded set is every signal
/// but SIGKILL, SIGSTOP and the synchronous faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE).
public enum Signals {
    /// Blocks the forwarded set, so a signal that arrives while berth sets up is kept
    /// pending (for `forwardedSignalFD`) instead of killing berth.
    public static func blockForwarded() {
        _ = berth_block_signals(nil)
    }

    /// A signalfd (non-blocking, close-on-exec) that reads the forwarded set; -1 on failure.
    public static func forwardedSignalFD() -> Int32 {
        berth_signalfd_all()
    }

    /// Unblocks every signal (the mask is inherited across clone and execve).
    public static func unblockAll() {
        _ = berth_unblock_all_signals()
    }

    /// Resets every handler to SIG_DFL (ignored signals stay ignored across execve).
    public static func resetHandlers() {
        _ = berth_reset_signal_handlers()
    }

    /// Resets the signals in `mask` (bit `signal - 1`, as /proc/<pid>/stat lists them) to
    /// SIG_DFL. Handlers need none of this in a child of `Clone.clone`, which clones with
    /// CLONE_CLEAR_SIGHAND: only ignored signals survive the clone (and execve). Each
    /// rt_sigaction costs about 2 µs here, so this touches only those (usually none)
    /// rather than all 62.
    public static func resetToDefault(_ mask: UInt64) {
        guard mask != 0 else { return }
        _ = berth_reset_signals(mask)
    }
}
