import BerthSpec
import BerthSystem

extension Capabilities {
    /// The sets `process.capabilities` names, by number. A name libcap does not know is a
    /// spec error; one newer than the running kernel is skipped, as runc skips it (the
    /// parent has warned about it).
    init(_ caps: LinuxCapabilities) throws(InitError) {
        func resolve(_ names: [String]?, _ set: String) throws(InitError) -> [Int32] {
            var numbers: [Int32] = []
            for name in names ?? [] {
                guard let value = Capabilities.number(named: name) else {
                    throw InitError.spec("process.capabilities.\(set): unknown capability \"\(name)\"")
                }
                if value <= Capabilities.lastCap { numbers.append(value) }
            }
            return numbers
        }
        self.init(bounding: try resolve(caps.bounding, "bounding"), effective: try resolve(caps.effective, "effective"),
                  permitted: try resolve(caps.permitted, "permitted"),
                  inheritable: try resolve(caps.inheritable, "inheritable"), ambient: try resolve(caps.ambient, "ambient"))
    }
}
