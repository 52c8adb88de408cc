import BerthSpec
import BerthSystem
import Glibc

/// `linux.resources.devices` on cgroup v1: the config's rules after a deny-all, with the
/// devices every container needs always allowed after them (as runc does), written as
/// the fewest `devices.deny` / `devices.allow` lines that turn the cgroup's current
/// rules (read from `devices.list`) into those.
///
/// Minimal transitions matter twice. Re-applying the same rules to a running container
/// (update) writes nothing, so no process ever sees a device it may use refused for a
/// moment. And a cgroup with sub-cgroups refuses the deny-all line (the kernel answers
/// EINVAL), so it is written only when the cgroup has to switch from allow-by-default
/// to deny-by-default. cgroup v2 uses `DeviceProgram` (eBPF) instead.
public enum DeviceRules {
    /// Devices allowed whatever the config says: /dev/null, zero, full, random, urandom,
    /// tty, console, ptmx, the pty slaves, and mknod of anything.
    static let always: [String] = [
        "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
        "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
    ]

    /// The v1 line for one rule: `c 1:3 rwm`, with `*` for a missing number.
    public static func line(_ rule: LinuxDeviceCgroup) -> String {
        let type = rule.type.flatMap { $0.isEmpty ? nil : $0 } ?? "a"
        if type == "a" && rule.major == nil && rule.minor == nil { return "a" }
        let major = rule.major.map(String.init) ?? "*"
        let minor = rule.minor.map(String.init) ?? "*"
        return "\(type) \(major):\(minor) \(rule.access.flatMap { $0.isEmpty ? nil : $0 } ?? "rwm")"
    }

    /// The state the rules produce in a fresh deny-by-default cgroup.
    static func target(_ rules: [LinuxDeviceCgroup]) -> DeviceState {
        var state = DeviceState(defaultAllow: false)
        for rule in rules {
            let type = rule.type.flatMap { $0.isEmpty ? nil : $0 } ?? "a"
            // Spec validation refuses other types; one that got here anyway makes a line
            // the kernel refuses (EINVAL), never a trap.
            let key = DeviceState.Key(type: type.count == 1 ? Character(type) : "?", major: rule.major, minor: rule.minor)
            state.apply(key, DeviceState.permissions(rule.access ?? "rwm"), allow: rule.allow)
        }
        for entry in always { if let (key, perms) = DeviceState.parse(entry) { state.apply(key, perms, allow: true) } }
        return state
    }

    /// Applies the rules to the set's v1 devices cgroup (or, on a unified host, attaches
    /// them as an eBPF program).
    ///
    /// - Parameter empty: the set was just made and no process is in it yet (create).
    public static func apply(_ rules: [LinuxDeviceCgroup], to set: CgroupSet, empty: Bool = false) throws(SyscallError) {
        // The devices hierarchy's usual mount point is tried first: one stat, not one per
        // hierarchy before it. Which directory answers is unchanged.
        let candidates = set.paths.filter { $0.includes("/devices/") } + set.paths.filter { !$0.includes("/devices/") }
        guard let dir = candidates.first(where: { FileIO.exists($0 + "/devices.allow") }) else {
            // No v1 devices controller: on a unified host the rules become an eBPF program.
            if set.unified, let dir = set.paths.first {
                try DeviceProgram.attach(rules, to: dir)
            }
            return
        }
        // A cgroup just made holds no process yet (nothing can fail meanwhile): its list
        // need not be read. Taken as allow-all, the transition starts with an `a` line
        // that resets whatever it inherited, which gives the target from any state.
        let current =
            empty && set.created.contains(dir)
            ? DeviceState(defaultAllow: true)
            : DeviceState.parseList((try? FileIO.readString(dir + "/devices.list")) ?? "")
        // One write per rule (the kernel takes one per write), through one open file for
        // each run of lines to the same file.
        var open: (allow: Bool, fd: Int32)?
        defer { if let open { close(open.fd) } }
        for (allow, line) in current.transition(to: target(rules)) {
            let file = dir + (allow ? "/devices.allow" : "/devices.deny")
            if open?.allow != allow {
                if let open { close(open.fd) }
                open = nil
                open = (allow, try FileIO.open(file, O_WRONLY | O_CLOEXEC))
            }
            do throws(SyscallError) { try FileIO.writeAll(open!.fd, Array(line.utf8), path: file) } catch {
                throw SyscallError("write \(line) to", file, errno: error.errno)
            }
        }
    }
}

/// A v1 devices cgroup's rules as the kernel keeps them: a default (allow or deny
/// everything) and exceptions to it, one access set per device pattern.
///
/// Exceptions are kept by their pattern's text and access is a bit mask: a
/// `[Key: Set<Character>]` would cost each create two runtime conformance look-ups
/// (`Key: Hashable`, `Character: Hashable`, each a scan of every conformance record in
/// the binary).
struct DeviceState: Equatable {
    struct Key: Equatable {
        /// `c`, `b`, or `a` (every device).
        var type: Character
        /// nil is `*`.
        var major: Int64?
        var minor: Int64?

        var text: String { String(type) + " " + (major.map(String.init) ?? "*") + ":" + (minor.map(String.init) ?? "*") }
    }

    /// Read, write and mknod access, as bits.
    struct Access: Equatable {
        var bits: UInt8

        static let none = Access(bits: 0)
        static let all = Access(bits: 7)

        /// `rwm` letters; others are ignored.
        init(_ letters: some StringProtocol) {
            var b: UInt8 = 0
            for c in letters.utf8 {
                switch c {
                case UInt8(ascii: "r"): b |= 1
                case UInt8(ascii: "w"): b |= 2
                case UInt8(ascii: "m"): b |= 4
                default: break
                }
            }
            bits = b
        }

        init(bits: UInt8) { self.bits = bits }

        var isEmpty: Bool { bits == 0 }
        func union(_ o: Access) -> Access { Access(bits: bits | o.bits) }
        func subtracting(_ o: Access) -> Access { Access(bits: bits & ~o.bits) }
        var text: String { (bits & 1 != 0 ? "r" : "") + (bits & 2 != 0 ? "w" : "") + (bits & 4 != 0 ? "m" : "") }
    }

    /// One exception: a device pattern and the access it grants (or denies).
    struct Exception: Equatable {
        var key: Key
        var access: Access
    }

    /// The exceptions sorted by their pattern's text (`Key.text`), found by binary search:
    /// no hashing at all (a `String`-keyed dictionary here was the first of the create
    /// path, whose `String: Hashable` look-up scans every conformance record).
    struct Exceptions: Equatable {
        private(set) var texts: [String] = []
        private var entries: [Exception] = []

        var count: Int { texts.count }

        private func position(_ text: String) -> (index: Int, found: Bool) {
            var low = 0
            var high = texts.count
            while low < high {
                let mid = (low + high) / 2
                if texts[mid] < text { low = mid + 1 } else { high = mid }
            }
            return (low, low < texts.count && texts[low] == text)
        }

        subscript(text: String) -> Exception? {
            get {
                let p = position(text)
                return p.found ? entries[p.index] : nil
            }
            set {
                let p = position(text)
                switch (p.found, newValue) {
                case (true, let value?): entries[p.index] = value
                case (true, nil):
                    texts.remove(at: p.index)
                    entries.remove(at: p.index)
                case (false, let value?):
                    texts.insert(text, at: p.index)
                    entries.insert(value, at: p.index)
                case (false, nil): break
                }
            }
        }
    }

    var defaultAllow: Bool
    var exceptions = Exceptions()

    init(defaultAllow: Bool) { self.defaultAllow = defaultAllow }

    /// The access an exception grants (or denies), none when there is none.
    func access(_ key: Key) -> Access { exceptions[key.text]?.access ?? .none }

    static func permissions(_ access: String) -> Access {
        let perms = Access(access)
        return perms.isEmpty ? .all : perms
    }

    /// One line of devices.list or of the always-allowed table: `c 1:3 rwm`, `a *:* rwm`.
    static func parse(_ line: some StringProtocol) -> (Key, Access)? {
        let fields = line.split(separator: " ")
        guard fields.count == 3, let type = fields[0].first else { return nil }
        let numbers = fields[1].split(separator: ":", omittingEmptySubsequences: false)
        guard numbers.count == 2 else { return nil }
        return (Key(type: type, major: Int64(numbers[0]), minor: Int64(numbers[1])), permissions(String(fields[2])))
    }

    /// The kernel lists `a *:* rwm` for an allow-by-default cgroup, its exceptions for a
    /// deny-by-default one (the deny exceptions of an allow-by-default cgroup are not
    /// listed at all).
    static func parseList(_ text: String) -> DeviceState {
        var state = DeviceState(defaultAllow: false)
        for line in text.split(separator: "\n") {
            if let (key, perms) = parse(line) { state.apply(key, perms, allow: true) }
        }
        return state
    }

    /// What writing the rule to devices.allow (or .deny) does in the kernel: `a` resets
    /// everything; a rule matching the default removes access from an exception; the
    /// opposite one adds it (exceptions of the same pattern merge).
    mutating func apply(_ key: Key, _ perms: Access, allow: Bool) {
        if key.type == "a" {
            self = DeviceState(defaultAllow: allow)
            return
        }
        let text = key.text
        if allow == defaultAllow {
            guard let existing = exceptions[text] else { return }
            let left = existing.access.subtracting(perms)
            exceptions[text] = left.isEmpty ? nil : Exception(key: key, access: left)
        } else {
            exceptions[text] = Exception(key: key, access: access(key).union(perms))
        }
    }

    /// The lines (true: devices.allow) that turn this state into `target`: a reset only
    /// when the default changes (or when allow-by-default, whose deny exceptions cannot
    /// be read back), then the access to take away, then the access to grant.
    func transition(to target: DeviceState) -> [(Bool, String)] {
        var lines: [(Bool, String)] = []
        var old = self
        if defaultAllow || defaultAllow != target.defaultAllow {
            lines.append((target.defaultAllow, "a"))
            old = DeviceState(defaultAllow: target.defaultAllow)
        }
        for text in old.exceptions.texts {
            let dropped = old.exceptions[text]!.access.subtracting(target.exceptions[text]?.access ?? .none)
            if !dropped.isEmpty { lines.append((target.defaultAllow, text + " " + dropped.text)) }
        }
        for text in target.exceptions.texts {
            let gained = target.exceptions[text]!.access.subtracting(old.exceptions[text]?.access ?? .none)
            if !gained.isEmpty { lines.append((!target.defaultAllow, text + " " + gained.text)) }
        }
        return lines
    }
}
