import CBerth

/// The loopback interface of the current network namespace.
public enum Loopback {
    /// Sets IFF_UP on `lo`: a new network namespace starts with it down.
    public static func bringUp() throws(SyscallError) {
        try sys("bring up lo") { berth_loopback_up() }
    }
}
