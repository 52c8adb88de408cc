import CBerth

/// Kernel key management (keyctl(2)).
public enum Keyring {
    /// Joins a new session keyring named `name` (KEYCTL_JOIN_SESSION_KEYRING), so the
    /// process's keys are apart from its parent's. Fails quietly where keyctl is not
    /// permitted (a seccomp profile of the caller's, an old kernel): false then.
    @discardableResult
    public static func joinNewSession(named name: String) -> Bool {
        berth_join_session_keyring(name) >= 0
    }
}
