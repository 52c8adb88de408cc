import BerthSystem

/// Blocks the signals a foreground `run` or `exec` forwards
/// (`ContainerProcess.waitForwardingSignals()`), so that none arriving during set-up
/// kills berth and orphans the container. The container init unblocks them for itself.
public enum SignalForwarder {
    /// Blocks the forwarded signals in the calling thread.
    public static func block() {
        Signals.blockForwarded()
    }
}
