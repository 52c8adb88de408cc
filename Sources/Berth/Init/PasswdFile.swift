/// Look-ups in a container image's `/etc/passwd`: bytes from the rootfs, untrusted
/// (fuzzed: Fuzz/BerthFuzz).
package enum PasswdFile {
    /// How much of the file is read: a hostile image may hold a huge one (the entries
    /// past this are not seen).
    package static let maxBytes = 1 << 20

    /// The home directory (field 6) of the first entry whose uid (field 3) is `uid`, if
    /// it is not empty. Lines are `name:password:uid:gid:gecos:home:shell`.
    package static func home(uid: UInt32, in bytes: ArraySlice<UInt8>) -> String? {
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let f = line.split(separator: UInt8(ascii: ":"), maxSplits: 6, omittingEmptySubsequences: false)
            guard f.count >= 6, UInt32(String(decoding: f[2], as: UTF8.self)) == uid, !f[5].isEmpty else { continue }
            return String(decoding: f[5], as: UTF8.self)
        }
        return nil
    }
}
