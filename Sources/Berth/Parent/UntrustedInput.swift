import BerthSpec

/// The internal parsers of untrusted bytes, reachable from the fuzz targets
/// (Fuzz/BerthFuzz, same package) without making them public. Each runs what berth
/// runs on such bytes before any syscall, and reports only whether they were accepted.
package enum UntrustedInput {
    /// `linux.seccomp` translated into a libseccomp filter in memory (never loaded).
    package static func seccompProfile(_ config: LinuxSeccomp) -> Bool {
        (try? SeccompProfile(config)) != nil
    }

    /// The home directory a container image's /etc/passwd gives `uid`.
    package static func passwdHome(uid: UInt32, passwd bytes: [UInt8]) -> String? {
        PasswdFile.home(uid: uid, in: bytes.prefix(PasswdFile.maxBytes))
    }

    /// A state directory's intent record (see `CreateIntent`): decoded, and encoded again
    /// to the same bytes.
    package static func intentRoundTrips(_ bytes: [UInt8]) -> Bool {
        guard let intent = CreateIntent(decoding: bytes) else { return false }
        return CreateIntent(decoding: intent.encoded) == intent
    }

    /// A `state.json` as `state`, `list`, `delete` read it.
    package static func stateRecord(_ bytes: [UInt8]) -> Bool {
        // As StateStore reads it: the config left as text, each part parsed when asked for.
        var texts: [JSONMemberText] = []
        guard let json = try? JSONValue.parse(bytes, leavingAsText: { $0 == "config" }, texts: &texts),
            var record = try? StateRecord(json: json)
        else { return false }
        record.configText = texts.last { $0.key == "config" }?.text
        _ = record.annotationList
        _ = try? record.hooks()
        _ = try? record.spec()
        return true
    }

    /// A packet from a container init on the sync socket.
    package static func syncMessage(_ bytes: [UInt8]) -> Bool {
        SyncMessage(packet: bytes, fds: []) != nil
    }
}
