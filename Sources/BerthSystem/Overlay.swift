import CBerth
import Glibc

/// An overlayfs mount made with the new mount API (fsopen/fsconfig/fsmount): it is in no
/// mount namespace's tree until attached, so nothing of it shows in the host's mount
/// table, and each layer path is one fsconfig parameter (no option-string parsing, so
/// commas in paths are plain characters; `:` and `\` in a lower layer are escaped).
public enum Overlay {
    /// The xattrs that mark an opaque directory: overlayfs's own namespace (`trusted.`) and
    /// the one it uses with `userxattr` in a user namespace (`user.`).
    public static let opaqueAttributes = ["trusted.overlay.opaque", "user.overlay.opaque"]
    /// Prefixes of the xattrs overlayfs keeps for itself in its layers.
    public static let privateAttributePrefixes = ["trusted.overlay.", "user.overlay."]

    /// Makes the overlay and returns its detached mount (close-on-exec descriptor).
    ///
    /// `lowers` top first. `userXattr` stores overlayfs's metadata in `user.overlay.*`,
    /// which is what a mount made inside a user namespace must use. Redirects, metacopy
    /// and the inode index are switched off whatever the module's defaults: every upper
    /// entry is then a whole file, a whiteout or an opaque directory, which is what the
    /// layer's diff and commit read.
    ///
    /// `volatile`: overlayfs skips every sync of the upper layer (Linux 5.10+), for a layer
    /// that goes with the container: on a disk-backed filesystem the sync at unmount
    /// would otherwise cost a journal commit per container.
    public static func make(lowers: [String], upper: String?, work: String?, userXattr: Bool, volatile: Bool = false)
        throws(SyscallError) -> Int32
    {
        let context = try sys("fsopen", "overlay") { berth_fsopen("overlay", UInt32(BERTH_FSOPEN_CLOEXEC)) }
        defer { close(context) }
        var parameters: [(String, String?)] = [("lowerdir", lowers.map(escape).joined(separator: ":"))]
        if let upper, let work { parameters += [("upperdir", upper), ("workdir", work)] }
        // With userxattr the kernel itself neither makes nor follows redirects, and
        // refuses redirect_dir=off as a conflict.
        if userXattr { parameters.append(("userxattr", nil)) } else { parameters.append(("redirect_dir", "off")) }
        parameters += [("metacopy", "off"), ("index", "off")]
        if volatile && upper != nil { parameters.append(("volatile", nil)) }
        for (key, value) in parameters {
            let r: Int32
            if let value {
                r = berth_fsconfig(context, UInt32(BERTH_FSCONFIG_SET_STRING), key, value, 0)
            } else {
                r = berth_fsconfig(context, UInt32(BERTH_FSCONFIG_SET_FLAG), key, nil, 0)
            }
            if r != 0 { throw failure(context, "overlay " + key, value ?? "") }
        }
        if berth_fsconfig(context, UInt32(BERTH_FSCONFIG_CMD_CREATE), nil, nil, 0) != 0 {
            throw failure(context, "mount overlay", upper ?? lowers.first ?? "")
        }
        return try sys("fsmount", "overlay") { berth_fsmount(context, UInt32(BERTH_FSMOUNT_CLOEXEC), 0) }
    }

    /// A lower layer's path with overlayfs's separator and escape character escaped.
    static func escape(_ path: String) -> String {
        var out = ""
        for c in path {
            if c == ":" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// The error with what the filesystem wrote to the context's log (overlayfs names the
    /// layer it refuses and why), errno captured first.
    private static func failure(_ context: Int32, _ operation: String, _ path: String) -> SyscallError {
        let e = currentErrno()
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = read(context, &buffer, buffer.count)
            guard n > 0 else { break }
            var line = String(decoding: buffer[0..<n], as: UTF8.self)
            // "e overlay: ..." / "w ...": the level letter first.
            if line.count > 2, line.dropFirst().first == " " { line = String(line.dropFirst(2)) }
            messages.append(line)
        }
        let detail = messages.isEmpty ? "" : " (" + messages.joined(separator: "; ") + ")"
        return SyscallError(operation, path + detail, errno: e)
    }
}
