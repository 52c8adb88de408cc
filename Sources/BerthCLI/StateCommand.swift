import Berth

struct StateCommand: IDCommand {
    static let name = "state"
    static let summary = "Print a container's state as JSON."
    let id: String

    func execute(_ global: GlobalOptions, _ log: Logger) throws -> Int32 {
        let state = try global.runtime.container(id: id).state()
        print(StateJSON.render(state, indent: "  "))
        return 0
    }
}

/// The state document in runc's field order.
enum StateJSON {
    static func fields(_ s: ContainerState, indent: String?, level: Int) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("ociVersion", JSONText.quote(s.ociVersion)), ("id", JSONText.quote(s.id)),
            ("pid", String(s.pid)), ("status", JSONText.quote(s.status.rawValue)),
            ("bundle", JSONText.quote(s.bundle)), ("rootfs", JSONText.quote(s.rootfs)),
            ("created", JSONText.quote(s.created)),
        ]
        if let a = s.annotationList, !a.isEmpty {
            fields.append(("annotations", JSONText.object(a.map { ($0.key, JSONText.quote($0.value)) }, indent: indent, level: level + 1)))
        }
        fields.append(("owner", JSONText.quote(s.owner)))
        return fields
    }

    static func render(_ s: ContainerState, indent: String? = nil, level: Int = 0) -> String {
        JSONText.object(fields(s, indent: indent, level: level), indent: indent, level: level)
    }
}
