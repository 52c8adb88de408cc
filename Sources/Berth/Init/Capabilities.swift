import BerthSpec
import BerthSystem

extension Capabilities {
    /// The sets `process.capabilities` names, by number. A name libcap does not know, or
    /// one newer than the running kernel, is skipped, as runc 1.2+ skips it (the parent
    /// has warned about it).
    init(_ caps: LinuxCapabilities) {
        func resolve(_ names: [String]?) -> [Int32] {
            (names ?? []).compactMap { name in
                Capabilities.number(named: name).flatMap { $0 <= Capabilities.lastCap ? $0 : nil }
            }
        }
        self.init(
            bounding: resolve(caps.bounding), effective: resolve(caps.effective), permitted: resolve(caps.permitted),
            inheritable: resolve(caps.inheritable), ambient: resolve(caps.ambient))
    }

    /// runc's warning for the names `init` skips: unknown, or newer than the running
    /// kernel, sorted, each once; nil when there are none.
    static func skippedNamesWarning(_ caps: LinuxCapabilities?) -> String? {
        guard let caps else { return nil }
        let all = [caps.bounding, caps.effective, caps.permitted, caps.inheritable, caps.ambient].compactMap { $0 }.joined()
        let skipped = Set(all.filter { name in (Capabilities.number(named: name) ?? .max) > Capabilities.lastCap })
        return skipped.isEmpty ? nil : "ignoring unknown or unavailable capabilities: [" + skipped.sorted().joined(separator: " ") + "]"
    }
}
